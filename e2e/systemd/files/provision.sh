#!/usr/bin/env bash
# Inside the container, before the deploy: what a pipeline host already has
# besides @dsa110/ports. The users, the API (uvicorn serving app.py) in its
# own unit, a Grafana stand-in in grafana-simple.service (Grafana has no
# Debian package), Prometheus and node_exporter on loopback as the registry
# says (localhost only), and a unit for the supervised squatter scenario. The
# units that claim in their own file get their ExecStartPre= line later, from
# what `ports systemd` prints.
set -euo pipefail
stage=/opt/dsa110-e2e/files
useradd --system --no-create-home --shell /usr/sbin/nologin dsa110
useradd --system --no-create-home --shell /usr/sbin/nologin squatter

install -d /opt/dsa110-api/bin
install -m 0644 "$stage/app.py" /opt/dsa110-api/app.py
install -m 0755 "$stage/uvicorn" /opt/dsa110-api/bin/uvicorn
cat > /etc/systemd/system/dsa110-api.service <<'UNIT'
[Unit]
Description=DSA-110 FastAPI backend (end-to-end stand-in)
After=network.target

[Service]
User=dsa110
Environment=CONTIMG_API_PORT=8000
ExecStart=/opt/dsa110-api/bin/uvicorn --app-dir /opt/dsa110-api app:app --host 127.0.0.1 --port ${CONTIMG_API_PORT}

[Install]
WantedBy=multi-user.target
UNIT

install -m 0755 "$stage/grafana-server" /usr/local/sbin/grafana-server
install -d /etc/grafana
printf '[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3030\n' > /etc/grafana/grafana.ini
cat > /etc/systemd/system/grafana-simple.service <<'UNIT'
[Unit]
Description=Grafana stand-in (end-to-end)
After=network.target

[Service]
User=nobody
ExecStart=/usr/local/sbin/grafana-server

[Install]
WantedBy=multi-user.target
UNIT

echo 'ARGS="--web.listen-address=127.0.0.1:9090"' > /etc/default/prometheus
echo 'ARGS="--web.listen-address=127.0.0.1:9100"' > /etc/default/prometheus-node-exporter
cat > /etc/prometheus/prometheus.yml <<'YAML'
global:
  scrape_interval: 2s
scrape_configs:
  # The API's scrape job, as the registry says (the health check's references check holds it to the API's port).
  - job_name: dsa110-api
    static_configs:
      - targets: ['127.0.0.1:8000']
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:9100']
YAML

# A squatter its own unit keeps alive (the supervisor scenario).
cat > /etc/systemd/system/dsa110-e2e-squatter.service <<'UNIT'
[Unit]
Description=End-to-end squatter on 8000, restarted by systemd
StartLimitIntervalSec=0

[Service]
User=squatter
ExecStart=/usr/bin/python3 -m http.server 8000 --bind 127.0.0.1 --directory /
Restart=always
RestartSec=100ms
UNIT
