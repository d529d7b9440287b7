// The locations `ports snippet nginx-site` writes in every site, besides the
// upstream's metrics one. Here, apart from the renderer, so that the
// registry's rules, which the renderer depends on, hold metrics paths against
// the same list.

/** The location nginx proxies to the upstream (the page: "Proxies /api/ requests to FastAPI"). */
export const NGINX_API_LOCATION = '/api/';

/** Every location the nginx-site snippet writes whatever the registry says. */
export const NGINX_SITE_LOCATIONS: readonly string[] = Object.freeze([NGINX_API_LOCATION]);
