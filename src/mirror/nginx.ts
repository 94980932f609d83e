// The nginx `server` block that serves a static mirror (mirror.ts) as the API answers the
// same reads: content types by location (not by file name: an id like "x.html" must never
// be served as a page), the C2SP tlog-tiles caching headers, /v1/donations mapped to its
// file, the donor page's routes to index.html, the house error body for 404s, reads from
// any origin, and nothing under a dot path (the mirror's state, temporary files). The
// README prints it; the nginx test (test/mirror/nginx.test.ts) runs it.
export interface NginxOptions {
  /** absolute path of the mirror's OUT directory */
  root: string;
  /** listen directive argument, e.g. "127.0.0.1:8081" or "80" */
  listen: string;
}

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src *; frame-ancestors 'none'";

export function nginxServerBlock(o: NginxOptions): string {
  if (!o.root.startsWith('/') || /[;{}"'\s]/.test(o.root)) throw new TypeError(`root: expected an absolute path without spaces, quotes, ; or braces, got ${JSON.stringify(o.root)}`);
  if (!/^[0-9A-Za-z.:[\]]+$/.test(o.listen)) throw new TypeError(`listen: expected host:port or port, got ${JSON.stringify(o.listen)}`);
  const common = `add_header Access-Control-Allow-Origin "*" always;
        add_header X-Content-Type-Options nosniff always;`;
  return `server {
    listen ${o.listen};
    root ${o.root};
    server_tokens off;
    etag on;
    gzip on;
    gzip_types application/json application/octet-stream text/plain text/css text/javascript;
    error_page 404 /_errors/404.json;

    # C2SP tlog-tiles "Checkpoints": text/plain, cached a few seconds at most.
    location = /checkpoint {
        types { }
        default_type "text/plain; charset=utf-8";
        add_header Cache-Control "public, max-age=2" always;
        ${common}
    }
    # Hash tiles and entry bundles: immutable once written.
    location /tile/ {
        types { }
        default_type application/octet-stream;
        add_header Cache-Control "public, max-age=31536000, immutable";
        ${common}
    }
    # GET /v1/donations (any query): the newest donations, in their own file (a file cannot
    # share its name with the v1/donations/ directory of the trace bundles).
    location = /v1/donations {
        types { }
        default_type "application/json; charset=utf-8";
        try_files /v1/donations.json =404;
        add_header Cache-Control "no-cache" always;
        ${common}
    }
    location /v1/ {
        types { }
        default_type "application/json; charset=utf-8";
        add_header Cache-Control "no-cache" always;
        ${common}
    }
    location = /_errors/404.json {
        internal;
        types { }
        default_type "application/json; charset=utf-8";
        add_header Cache-Control "no-store" always;
        ${common}
    }
    location /assets/ {
        types { text/javascript js; text/css css; image/svg+xml svg; }
        default_type application/octet-stream;
        add_header Cache-Control "no-cache" always;
        add_header X-Content-Type-Options nosniff always;
    }
    # The mirror's state and temporary files.
    location ~ /\\. {
        return 404;
    }
    # The donor page: /, /log, /donations/<id> are the one page.
    location / {
        types { text/html html; }
        default_type application/octet-stream;
        try_files $uri /index.html;
        add_header Cache-Control "no-cache" always;
        add_header Content-Security-Policy "${CSP}" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy no-referrer always;
    }
}
`;
}
