// Generated from ports.yaml by packages/ports/scripts/generate.mjs: do not edit.
// Edit ports.yaml and run `pnpm build`; a test fails when this copy is stale.
import type { RegistryData } from '../schema.js';

/** The id of every service in the bundled registry. */
export type ServiceId = "nginx" | "vite" | "grafana" | "vite-default" | "redis" | "api" | "mkdocs" | "prometheus";

export const bundledRegistry: RegistryData = {
  "version": 1,
  "claim": {
    "timeoutSeconds": 5,
    "protect": {
      "processes": [],
      "unprotectBuiltin": [],
      "pidsUpTo": 2
    }
  },
  "services": [
    {
      "id": "nginx",
      "name": "Nginx",
      "title": "Nginx Reverse Proxy",
      "group": "production",
      "port": 80,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "public",
      "accessNote": "Publicly accessible (firewall permitting)",
      "configuredBy": "none",
      "robust": false,
      "robustNote": "Nginx doesn't need robust reservation as port {port:nginx} typically has no conflicts.",
      "config": "/etc/nginx/sites-available/dsa110-contimg",
      "systemd": {
        "unit": "nginx.service"
      },
      "configs": [
        {
          "kind": "nginx-site",
          "upstream": "api"
        }
      ],
      "processes": [
        "nginx"
      ],
      "purpose": [
        "Serves frontend static files from `/data/dsa110-contimg/frontend/dist`",
        "Proxies `/api/` requests to FastAPI on port {port:api}",
        "Restricts `/metrics` to localhost only"
      ],
      "notes": []
    },
    {
      "id": "vite",
      "name": "Vite Dev Server",
      "title": "Vite Dev Server",
      "group": "development",
      "port": 3000,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "dev",
      "accessNote": "Development only, not for production",
      "configuredBy": "hardcoded",
      "robust": false,
      "processes": [
        "node"
      ],
      "command": "`npm run dev` in `/data/dsa110-contimg/frontend`",
      "purpose": [
        "Hot-reload development server for Vue.js frontend"
      ],
      "notes": [
        "Port varies by Vite version ({port:vite} or {port:vite-default})"
      ]
    },
    {
      "id": "grafana",
      "name": "Grafana",
      "title": "Grafana",
      "group": "monitoring",
      "port": 3030,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "localhost",
      "configuredBy": {
        "file": "grafana.ini",
        "key": "http_port"
      },
      "robust": true,
      "config": "/etc/grafana/grafana.ini",
      "systemd": {
        "unit": "grafana-simple.service",
        "claim": "unit"
      },
      "configs": [
        {
          "kind": "grafana-datasource",
          "upstream": "prometheus"
        }
      ],
      "processes": [
        "grafana",
        "grafana-server"
      ],
      "details": {
        "Default Credentials": "admin / admin",
        "Dashboard": "`/d/dsa110-pipeline/dsa-110-continuum-imaging-pipeline`"
      },
      "purpose": [
        "Prometheus visualization and dashboards"
      ],
      "notes": [
        "Uses {port:grafana} to avoid conflict with Vite dev server on {port:vite}"
      ]
    },
    {
      "id": "vite-default",
      "name": "Vite Dev (default)",
      "title": "Vite Dev Server (default port)",
      "group": "development",
      "port": 5173,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "dev",
      "accessNote": "Development only, not for production",
      "configuredBy": "hardcoded",
      "robust": false,
      "processes": [
        "node"
      ],
      "command": "`npm run dev` in `/data/dsa110-contimg/frontend`",
      "purpose": [
        "Hot-reload development server for Vue.js frontend"
      ],
      "notes": [
        "Port varies by Vite version ({port:vite} or {port:vite-default})"
      ]
    },
    {
      "id": "redis",
      "name": "Redis",
      "title": "Redis",
      "group": "production",
      "port": 6379,
      "protocol": "TCP",
      "transport": "tcp",
      "access": "localhost",
      "accessNote": "Localhost only (no authentication)",
      "configuredBy": {
        "env": "REDIS_PORT"
      },
      "robust": true,
      "config": "/etc/redis/redis.conf",
      "systemd": {
        "unit": "redis-server.service",
        "claim": "drop-in"
      },
      "configs": [
        {
          "kind": "redis-conf"
        }
      ],
      "processes": [
        "redis-server"
      ],
      "purpose": [
        "API response caching with TTL-based expiration",
        "Cache management via `/api/cache` endpoints"
      ],
      "notes": []
    },
    {
      "id": "api",
      "name": "FastAPI",
      "title": "FastAPI Backend",
      "group": "production",
      "port": 8000,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "private",
      "accessNote": "Localhost and private networks (10.x, 172.16.x, 192.168.x)",
      "configuredBy": {
        "env": "CONTIMG_API_PORT"
      },
      "robust": true,
      "config": "/etc/systemd/system/dsa110-api.service",
      "metrics": "/metrics",
      "scrapeInterval": "15s",
      "systemd": {
        "unit": "dsa110-api.service",
        "claim": "unit"
      },
      "processes": [
        "uvicorn",
        "gunicorn",
        "dsa110_contimg.api*"
      ],
      "details": {
        "Docs": "Interactive API docs at `/api/docs`"
      },
      "purpose": [
        "REST API for pipeline data",
        "Prometheus metrics at `/metrics`",
        "Health check at `/api/health`"
      ],
      "notes": []
    },
    {
      "id": "mkdocs",
      "name": "MkDocs",
      "title": "MkDocs Documentation",
      "group": "development",
      "port": 8001,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "dev",
      "accessNote": "Development only",
      "configuredBy": {
        "env": "CONTIMG_DOCS_PORT"
      },
      "robust": false,
      "processes": [
        "mkdocs"
      ],
      "command": "mkdocs serve",
      "purpose": [
        "Local documentation preview"
      ],
      "notes": []
    },
    {
      "id": "prometheus",
      "name": "Prometheus",
      "title": "Prometheus Server",
      "group": "monitoring",
      "port": 9090,
      "protocol": "HTTP",
      "transport": "tcp",
      "access": "localhost",
      "accessNote": "Localhost only",
      "configuredBy": {
        "file": "prometheus.yml"
      },
      "robust": true,
      "config": "/etc/prometheus/prometheus.yml",
      "systemd": {
        "unit": "prometheus.service",
        "claim": "drop-in"
      },
      "configs": [
        {
          "kind": "prometheus-yml"
        },
        {
          "kind": "prometheus-args"
        }
      ],
      "processes": [
        "prometheus"
      ],
      "details": {
        "UI": "Query interface at `http://localhost:{port:prometheus}`"
      },
      "purpose": [
        "Stores time-series data for Grafana"
      ],
      "notes": []
    }
  ],
  "reserved": [
    {
      "id": "dashboard-fallback",
      "name": "Dashboard fallback ports",
      "start": 3210,
      "end": 3220,
      "purpose": "Dashboard fallback ports (auto-selected if {port:dashboard-fallback} busy)",
      "for": []
    },
    {
      "id": "api-alt",
      "name": "Alternative API port",
      "port": 8010,
      "purpose": "Alternative API port (if needed)",
      "for": [
        "api"
      ]
    }
  ]
};
