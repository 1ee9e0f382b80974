#!/usr/bin/env bash
# The twin chooses locations as real nginx 1.22 does: for each case, real
# nginx (two upstreams: a -> server 1, b -> server 2) answers one call of
# /Saludo/saludar, and the twin's choice for the same file (route_of) must
# name the same upstream, or the same status and message the client saw
# when nginx answered itself; a file nginx -t refuses, the twin refuses too. Every process is stopped however
# the test ends.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/sim_lib.sh" nginx_routing
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

start_server 1; p1=$port
start_server 2; p2=$port

# check NAME LOCATIONS [PARAMS]: real nginx and the twin on one server block
# (PARAMS: extra parameters of upstream a's server).
check() {
  local name="$1" conf="$tmp/$1.conf" lb twin real out nginx_pid
  cat > "$conf" <<CONF
worker_processes 1;
pid nginx.pid;
error_log logs/error.log warn;
events { worker_connections 64; }
http {
  access_log logs/access.log;
  client_body_temp_path tmp/client_body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  upstream a { server 127.0.0.1:3001 ${3:-}; }
  upstream b { server 127.0.0.1:3002; }
  server {
    listen 127.0.0.1:3005 http2;
$2
  }
}
CONF
  twin=$("$root/tests/route_of" "$conf" /Saludo/saludar 2>&1)
  lb=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$root/nginx/balancer" --config="$conf" --port_map="3001=$p1,3002=$p2,3005=$lb" > "$tmp/$name.nginx" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 1 100); do
    grep -q "nginx listening\|rejected" "$tmp/$name.nginx" && break
    kill -0 $nginx_pid 2>/dev/null || break
    sleep 0.05
  done
  if grep -q "rejected" "$tmp/$name.nginx"; then
    real="refused"
  else
    out=$("$root/client/client" --target="127.0.0.1:$lb" --requests=1 --deadline=2s 2>&1)
    case "$out" in
      *"te saluda el servidor 1"*) real="upstream a" ;;
      *"te saluda el servidor 2"*) real="upstream b" ;;
      "[1] "*) real="answer $(sed -n 's/^\[1\] \(.*\) ([0-9.]*ms)$/\1/p' <<<"$out" | head -1)" ;;
      *) real="?? $out" ;;
    esac
  fi
  kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null
  [ "${twin%%:*}" = "$real" ] || [ "$twin" = "$real" ] \
    || fail "$name: real nginx: $real; twin: $twin ($(cat "$tmp/$name.nginx"))"
  echo "ok: $name: $real"
}

check exact_misses    'location / { grpc_pass grpc://a; } location = /Saludo/ { grpc_pass grpc://b; }'
check exact_hits      'location / { grpc_pass grpc://a; } location = /Saludo/saludar { grpc_pass grpc://b; }'
check regex_wins      'location / { grpc_pass grpc://b; } location ~ ^/Saludo/ { grpc_pass grpc://a; }'
check prefix_stops    'location ^~ /Saludo/ { grpc_pass grpc://b; } location ~ saludar$ { grpc_pass grpc://a; }'
check longest_prefix  'location /Saludo/ { grpc_pass grpc://a; } location /Saludo/sal { grpc_pass grpc://b; }'
check regex_order     'location ~ ^/saludo/ { grpc_pass grpc://a; } location ~* ^/saludo/ { grpc_pass grpc://b; } location ~ . { grpc_pass grpc://a; }'
check return_403      'location / { grpc_pass grpc://a; } location /Saludo/ { return 403; }'
check static_404      'location / { grpc_pass grpc://a; } location /Saludo/ { }'
check no_location     'location /Other/ { grpc_pass grpc://a; } location = / { grpc_pass grpc://b; }'
check duplicate       'location / { grpc_pass grpc://a; } location / { grpc_pass grpc://b; }'
check bad_regex       'location ~ ^/(Saludo { grpc_pass grpc://a; } location / { grpc_pass grpc://b; }'
check no_scheme       'location / { grpc_pass a; }'
# Nested locations, level by level (ngx_http_core_find_location).
check nested_refines  'location /Saludo/ { grpc_pass grpc://a; location /Saludo/saludar { grpc_pass grpc://b; } }'
check nested_parent   'location /Saludo/ { grpc_pass grpc://b; location /Saludo/otro { grpc_pass grpc://a; } }'
check outer_regex     'location /Saludo/ { grpc_pass grpc://a; location /Saludo/saludar { grpc_pass grpc://a; } } location ~ saludar$ { grpc_pass grpc://b; }'
check nested_exact    'location /Saludo/ { grpc_pass grpc://a; location = /Saludo/saludar { grpc_pass grpc://b; } } location ~ saludar$ { grpc_pass grpc://a; }'
check stop_nested     'location ^~ /Saludo/ { grpc_pass grpc://a; location /Saludo/s { grpc_pass grpc://b; } } location ~ saludar$ { grpc_pass grpc://a; }'
check nested_regex    'location / { grpc_pass grpc://a; location ~ dar$ { grpc_pass grpc://b; } }'
check regex_nested    'location ~ ^/Saludo { grpc_pass grpc://a; location ~ dar$ { grpc_pass grpc://b; } }'
check outside         'location /Saludo/ { grpc_pass grpc://a; location /Other/ { grpc_pass grpc://b; } }'
# Server blocks on one port, chosen by server_name against the client's
# :authority (127.0.0.1:PORT), else default_server, else the first.
second='} server { listen 127.0.0.1:3005 http2;'
check name_exact      "location / { grpc_pass grpc://a; } $second server_name 127.0.0.1; location / { grpc_pass grpc://b; }"
check name_other      "location / { grpc_pass grpc://a; } $second server_name example.com; location / { grpc_pass grpc://b; }"
check name_regex      "server_name example.com; location / { grpc_pass grpc://a; } $second server_name ~^127\\.; location / { grpc_pass grpc://b; }"
check name_wildcard   "location / { grpc_pass grpc://a; } $second server_name 127.0.0.*; location / { grpc_pass grpc://b; }"
check default_server  "location / { grpc_pass grpc://a; } } server { listen 127.0.0.1:3005 http2 default_server; server_name x.example; location / { grpc_pass grpc://b; }"
# What a gRPC client sees of nginx's own answers: error_page to a named
# location, add_header with and without always, a body or none.
pass_x='location /x { grpc_pass grpc://a; }'
check page_always     "$pass_x location / { error_page 404 = @d; } location @d { add_header grpc-status 4 always; return 504; }"
check page_not_always "$pass_x location / { error_page 404 = @d; } location @d { add_header grpc-status 4; return 504; }"
check page_204        "$pass_x location / { error_page 404 = @d; } location @d { add_header grpc-status 14; add_header grpc-message m; return 204; }"
check page_override   "$pass_x location / { error_page 404 =503 @d; } location @d { add_header grpc-status 14 always; return 204; }"
check page_no_equals  "$pass_x location / { error_page 404 @d; } location @d { add_header grpc-status 3 always; return 204; }"
check header_on_page  "$pass_x location / { add_header grpc-status 9 always; return 403; }"
check header_no_body  "$pass_x location / { add_header grpc-status 9; return 200; }"
check text_body       "$pass_x location / { add_header grpc-status 9; return 200 hola; }"
check return_204      "$pass_x location / { return 204; }"
check return_page     "$pass_x location / { return 404; error_page 404 = @d; } location @d { add_header grpc-status 6 always; return 204; }"
check fail_timeout_ms 'location / { grpc_pass grpc://a; }' 'fail_timeout=1500ms'
check fail_timeout_s  'location / { grpc_pass grpc://a; }' 'max_fails=2 fail_timeout=2s'
check exact_and_prefix 'location = /Saludo/saludar { grpc_pass grpc://a; } location /Saludo/saludar { grpc_pass grpc://b; }'
echo PASS
