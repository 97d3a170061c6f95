#!/usr/bin/env bash
# Start etcd and the real kube-apiserver (v1.20.2, built by build.sh) on free
# loopback ports, wait until it is ready, write DATA_DIR/kubeconfig (admin,
# group system:masters) and print its path:
#
#   kubeconfig=$(scripts/kube-apiserver/start.sh DATA_DIR [extra kube-apiserver flags])
#   ...
#   scripts/kube-apiserver/stop.sh DATA_DIR
#
# KUBE_APISERVER and ETCD may be set to the binaries; otherwise build.sh is run
# (cached: about 5 minutes the first time, instant later).
#
# DATA_DIR gets: pki/ (CA, serving cert, admin client cert, service-account
# keys; made once, kept across restarts), etcd/ (etcd data, kept across
# restarts), etcd.log, kube-apiserver.log, etcd.pid, kube-apiserver.pid,
# kubeconfig, and env (shell assignments APISERVER_URL, KUBECONFIG, CA_CERT,
# CLIENT_CERT, CLIENT_KEY, ETCD_URL). Only the kubeconfig path goes to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=kube-apiserver/start.sh
die() { echo "$prog: error: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: start.sh DATA_DIR [extra kube-apiserver flags]"
mkdir -p "$1"
data=$(cd "$1" && pwd)
shift
extra=("$@")

command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"

if [ -z "${KUBE_APISERVER:-}" ] || [ -z "${ETCD:-}" ]; then
    eval "$("$here/build.sh")" || die "build.sh failed"
fi
[ -x "$KUBE_APISERVER" ] || die "KUBE_APISERVER=$KUBE_APISERVER is not executable"
[ -x "$ETCD" ] || die "ETCD=$ETCD is not executable"

for n in kube-apiserver etcd; do
    if [ -f "$data/$n.pid" ] && kill -0 "$(cat "$data/$n.pid")" 2>/dev/null; then
        die "$n is already running for $data (pid $(cat "$data/$n.pid")); run stop.sh $data first"
    fi
done

# --- PKI (made once per DATA_DIR) ------------------------------------------------
pki=$data/pki
if [ ! -f "$pki/.complete" ]; then
    rm -rf "$pki"
    mkdir -p "$pki"
    (
        cd "$pki"
        umask 077
        ossl() { openssl "$@" 2>>openssl.log || { cat openssl.log >&2; exit 1; }; }
        ec_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
        # sign NAME SUBJECT EXTENSIONS: NAME.key + NAME.crt signed by the CA
        sign() {
            ec_key "$1.key"
            ossl req -new -key "$1.key" -subj "$2" -out "$1.csr"
            printf '%s\n' "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" "$3" >"$1.ext"
            ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 30 -sha256 -extfile "$1.ext" -out "$1.crt"
            rm -f "$1.csr" "$1.ext"
        }
        ec_key ca.key
        ossl req -x509 -new -key ca.key -subj "/CN=perimeter-guard-test-ca" -days 30 -sha256 \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out ca.crt
        sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
        sign admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
        # Service-account token signing key pair.
        ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
        ossl pkey -in sa.key -pubout -out sa.pub
        rm -f ca.srl openssl.log
        chmod 644 ca.crt apiserver.crt admin.crt sa.pub
    ) || die "could not create the PKI in $pki"
    touch "$pki/.complete"
fi

# --- ports -----------------------------------------------------------------------
# A port is taken as free when nothing accepts a connection on it. Picked below
# the Linux ephemeral range; a port grabbed between now and the bind makes the
# start fail (run start.sh again).
used_ports=" "
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 12000))
        case $used_ports in *" $p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "no free loopback port found"
}
etcd_client_port=$(free_port)
used_ports+="$etcd_client_port "
etcd_peer_port=$(free_port)
used_ports+="$etcd_peer_port "
secure_port=$(free_port)

etcd_url=http://127.0.0.1:$etcd_client_port
server=https://127.0.0.1:$secure_port

fail() {
    echo "$prog: error: $*" >&2
    for n in etcd kube-apiserver; do
        if [ -f "$data/$n.log" ]; then
            echo "--- last lines of $data/$n.log" >&2
            tail -n 25 "$data/$n.log" >&2
        fi
    done
    "$here/stop.sh" "$data" >&2 || true
    exit 1
}

# --- etcd ---------------------------------------------------------------------------
# etcd 3.4 has no --unsafe-no-fsync (3.5+). Plain HTTP on loopback only.
setsid "$ETCD" \
    --name default \
    --data-dir "$data/etcd" \
    --listen-client-urls "$etcd_url" \
    --advertise-client-urls "$etcd_url" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" \
    --logger zap --log-outputs stderr --log-level warn \
    </dev/null >"$data/etcd.log" 2>&1 &
echo $! >"$data/etcd.pid"

etcd_ready=
for _ in $(seq 100); do
    kill -0 "$(cat "$data/etcd.pid")" 2>/dev/null || fail "etcd exited during startup"
    if (exec 3<>"/dev/tcp/127.0.0.1/$etcd_client_port") 2>/dev/null; then
        etcd_ready=1
        break
    fi
    sleep 0.1
done
[ -n "$etcd_ready" ] || fail "etcd did not listen on $etcd_url within 10 s"

# --- kube-apiserver --------------------------------------------------------------------
# --endpoint-reconciler-type none: the `kubernetes` Endpoints object cannot
# hold a loopback address, and the reconciler would log an error every 10 s.
# ServiceAccount admission is off: no controller-manager creates the `default`
# service account, and with the plugin on every pod create would be refused.
setsid "$KUBE_APISERVER" \
    --etcd-servers "$etcd_url" \
    --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 \
    --secure-port "$secure_port" \
    --cert-dir "$pki" \
    --tls-cert-file "$pki/apiserver.crt" \
    --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,DefaultStorageClass,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
    --disable-admission-plugins ServiceAccount \
    --allow-privileged=true \
    --endpoint-reconciler-type none \
    --profiling=false \
    ${extra[@]+"${extra[@]}"} \
    </dev/null >"$data/kube-apiserver.log" 2>&1 &
echo $! >"$data/kube-apiserver.pid"

# GET $server$1 with the admin client certificate; prints the body.
api_get() {
    if command -v curl >/dev/null; then
        curl -sS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" \
            --key "$pki/admin.key" "$server$1" 2>/dev/null
    else
        printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" |
            timeout 5 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$secure_port" \
                -CAfile "$pki/ca.crt" -cert "$pki/admin.crt" -key "$pki/admin.key" 2>/dev/null |
            sed '1,/^\r\{0,1\}$/d'
    fi
}

ready=
for _ in $(seq 600); do
    kill -0 "$(cat "$data/kube-apiserver.pid")" 2>/dev/null || fail "kube-apiserver exited during startup"
    kill -0 "$(cat "$data/etcd.pid")" 2>/dev/null || fail "etcd exited during startup"
    if [ "$(api_get /readyz || true)" = ok ]; then
        ready=1
        break
    fi
    sleep 0.1
done
[ -n "$ready" ] || fail "kube-apiserver was not ready at $server/readyz within 60 s"

# --- kubeconfig and env ------------------------------------------------------------------
b64() { base64 -w0 <"$1"; }
umask 077
cat >"$data/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube-apiserver
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: admin
  context:
    cluster: kube-apiserver
    user: admin
    namespace: default
current-context: admin
EOF
mv "$data/kubeconfig.tmp" "$data/kubeconfig"
cat >"$data/env" <<EOF
APISERVER_URL=$server
KUBECONFIG=$data/kubeconfig
CA_CERT=$pki/ca.crt
CLIENT_CERT=$pki/admin.crt
CLIENT_KEY=$pki/admin.key
ETCD_URL=$etcd_url
EOF
echo "$data/kubeconfig"
