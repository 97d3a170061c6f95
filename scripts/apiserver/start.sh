#!/usr/bin/env bash
# Start etcd and the test API server in the background, on free loopback ports.
#
#   scripts/apiserver/start.sh ADMISSION_OBJECTS DATA_DIR [extra testapiserver flags...]
#
# ADMISSION_OBJECTS  YAML with ValidatingWebhookConfiguration / Namespace objects
#                    (read once: change it, then stop.sh + start.sh again).
# DATA_DIR           created if missing; holds certificates, etcd data, logs, pids
#                    and the kubeconfig. Its etcd data is kept across restarts.
#
# On success prints the kubeconfig path (DATA_DIR/kubeconfig) on stdout and
# returns; the servers keep running until scripts/apiserver/stop.sh DATA_DIR.
# DATA_DIR/env has APISERVER_URL, KUBECONFIG, CA/cert paths for shell use.
# ETCD and APISERVER may be set to skip build.sh.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 ADMISSION_OBJECTS DATA_DIR [extra testapiserver flags...]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
objects=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -r "$objects" ] || { echo "start.sh: no such file: $1" >&2; exit 2; }
mkdir -p "$2"
data=$(cd "$2" && pwd)
shift 2

if [ -s "$data/pids" ] && grep -qF "$data" $(sed 's#[0-9][0-9]*#/proc/&/cmdline#g' "$data/pids") 2>/dev/null; then
    echo "start.sh: already running in $data (stop it with stop.sh $data)" >&2
    exit 1
fi

if [ -z "${ETCD:-}" ] || [ -z "${APISERVER:-}" ]; then
    eval "$("$here/build.sh")"
fi

pki=$data/pki
mkdir -p "$pki" "$data/etcd"
chmod 700 "$data/etcd"

# Fresh PKI on every start: a CA, a serving cert for 127.0.0.1/localhost and
# an admin client cert in group system:masters (the group the authorizer lets
# do everything). EC P-256 keys: fast to make, accepted by Go and rustls.
gen() { # name subject [extensions]
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$2" 2>/dev/null
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
        -CAcreateserial -days 30 -out "$pki/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
}
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 -subj "/CN=perimeter-guard-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
gen apiserver "/CN=testapiserver" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"
gen admin "/O=system:masters/CN=admin" \
    "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"

# Three free loopback ports (etcd client, etcd peer, API server). Another
# process could take one between here and the bind: start.sh then fails and
# can simply be run again.
read -r etcd_port peer_port api_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

pids=()
fail() {
    echo "start.sh: $1" >&2
    for f in etcd.log apiserver.log; do
        [ -f "$data/$f" ] && { echo "--- last lines of $data/$f" >&2; tail -n 5 "$data/$f" >&2; }
    done
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
    rm -f "$data/pids"
    exit 1
}

# setsid: the servers outlive this script and are not hit by the caller's Ctrl-C.
# --unsafe-no-fsync: test data, speed over durability.
setsid "$ETCD" --name test --data-dir "$data/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "test=http://127.0.0.1:$peer_port" --unsafe-no-fsync \
    </dev/null >"$data/etcd.log" 2>&1 &
pids+=($!)
echo "${pids[*]}" >"$data/pids"

setsid "$APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --admission-objects "$objects" "$@" \
    </dev/null >"$data/apiserver.log" 2>&1 &
pids+=($!)
echo "${pids[*]}" >"$data/pids"

url=https://127.0.0.1:$api_port
# /readyz turns ok once etcd answers, CRD controllers run and the admission
# informers (fed from the file) have synced.
for _ in $(seq 1 600); do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || fail "a server exited during startup"
    done
    if [ "$(curl -s --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$url/readyz")" = ok ]; then
        ready=1
        break
    fi
    sleep 0.1
done
[ -n "${ready:-}" ] || fail "API server not ready after 60 s"

b64() { base64 -w0 <"$1"; }
umask 077
cat >"$data/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $url
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: test
  context: {cluster: test, user: admin, namespace: default}
current-context: test
EOF
cat >"$data/env" <<EOF
APISERVER_URL=$url
KUBECONFIG=$data/kubeconfig
CA_CERT=$pki/ca.crt
CLIENT_CERT=$pki/admin.crt
CLIENT_KEY=$pki/admin.key
EOF
echo "$data/kubeconfig"
