#!/usr/bin/env bash
# End-to-end check of the kube-apiserver built by build.sh, with kubectl and a
# throwaway HTTPS validating webhook in Python:
#
#   scripts/kube-apiserver/selftest.sh [CRD_FILE]
#
# KUBECTL picks the kubectl binary (default: kubectl on PATH). CRD_FILE is a
# CustomResourceDefinition to install; default: a small one made here. The
# resource's group/version/plural are read from the file. The script starts
# its own apiserver in a temporary DATA_DIR and stops it at the end. Prints one
# line per check and `N passed, M failed`; exits non-zero if any failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}
command -v "$kubectl" >/dev/null || { echo "selftest: no kubectl ($kubectl)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "selftest: python3 is needed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-selftest.XXXXXX")
data=$work/data
webhook_pid=
cleanup() {
    [ -z "$webhook_pid" ] || kill "$webhook_pid" 2>/dev/null
    "$here/stop.sh" "$data"
    if [ -n "${KEEP_SELFTEST_DIR:-}" ]; then echo "selftest: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
# check NAME COMMAND...: pass if the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }
# run OUT ERR CMD...: run CMD with stdout in $work/OUT and stderr in $work/ERR; return its status.
run() { local o=$1 e=$2; shift 2; "$@" >"$work/$o" 2>"$work/$e"; }
has() { grep -qF -- "$2" "$work/$1"; }
show() { sed 's/^/    /' "$work/$1" | head -n 8; }

t0=$(date +%s%N)
if ! kubeconfig=$("$here/start.sh" "$data"); then
    echo "selftest: start.sh failed" >&2
    exit 1
fi
echo "apiserver ready in $((($(date +%s%N) - t0) / 1000000)) ms (including build.sh)"
export KUBECONFIG=$kubeconfig
k() { "$kubectl" "$@"; }
echo "kubectl: $("$kubectl" version --client 2>/dev/null | head -n 1)"

# --- basics ----------------------------------------------------------------------
check "kubectl get ns lists default" bash -c "'$kubectl' get ns -o name | grep -qx namespace/default"
run out err k get --raw /version
check "server version is v1.20.2" has out '"gitVersion": "v1.20.2"'

# --- CRD and a namespaced custom resource --------------------------------------------
crd=${1:-}
if [ -z "$crd" ]; then
    crd=$work/crd.yaml
    cat >"$crd" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.selftest.perimeterguard.io
spec:
  group: selftest.perimeterguard.io
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string}
EOF
fi
read -r group version plural kind < <(python3 - "$crd" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
g = re.search(r"^  group: (\S+)", text, re.M).group(1)
v = re.search(r"^  - name: (\S+)", text, re.M).group(1)
p = re.search(r"^    plural: (\S+)", text, re.M).group(1)
k = re.search(r"^    kind: (\S+)", text, re.M).group(1)
print(g, v, p, k)
EOF
)
crd_name=$plural.$group
# kubectl validates client-side against the server's 1.20 OpenAPI, which does
# not know newer schema fields such as x-kubernetes-validations; the server
# itself drops them. Try plain create first, then --validate=false.
if run out err k create -f "$crd"; then
    ok "create CRD $crd_name"
elif has err "unknown field" && run out err k create --validate=false -f "$crd"; then
    ok "create CRD $crd_name (needed --validate=false: the 1.20 schema lacks newer fields)"
else
    bad "create CRD $crd_name"; show err
fi
run out err k wait --for=condition=Established "crd/$crd_name" --timeout=30s
check "CRD established" has out "condition met"

cr() { # NAME LABEL-VALUE: a custom resource manifest
    printf 'apiVersion: %s/%s\nkind: %s\nmetadata:\n  name: %s\n  namespace: default\n' \
        "$group" "$version" "$kind" "$1"
    [ -z "${2:-}" ] || printf '  labels:\n    selftest: %s\n' "$2"
    printf 'spec:\n  name: %s\n' "$1"
}
cr plain >"$work/plain.yaml"
run out err k create -f "$work/plain.yaml"
check "create namespaced custom resource" has out "created"
run out err k get "$plural.$group" plain -n default -o name
check "get custom resource" has out "/plain"

# --- webhook -------------------------------------------------------------------------
pki=$data/pki
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/wh.key" 2>/dev/null
openssl req -new -key "$work/wh.key" -subj /CN=webhook -out "$work/wh.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/wh.ext"
openssl x509 -req -in "$work/wh.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -CAserial "$work/ca.srl" -days 1 -extfile "$work/wh.ext" -out "$work/wh.crt" 2>/dev/null
cat >"$work/webhook.py" <<'EOF'
# /deny: refuse; /warn: allow with a warning. Logs each review as a JSON line.
import http.server, json, ssl, sys
cert, key, log, portfile = sys.argv[1:5]

class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path.split("?")[0], "apiVersion": review.get("apiVersion"),
                                "operation": req.get("operation"), "dryRun": req.get("dryRun"),
                                "name": req.get("name"), "kind": req["kind"]["kind"]}) + "\n")
        resp = {"uid": req["uid"], "allowed": True}
        if self.path.startswith("/deny"):
            resp = {"uid": req["uid"], "allowed": False,
                    "status": {"code": 403, "message": "perimeter-guard selftest: denied %s/%s"
                               % (req["kind"]["kind"], req.get("name"))}}
        elif self.path.startswith("/warn"):
            resp["warnings"] = ["perimeter-guard selftest: warning for %s" % req.get("name")]
        body = json.dumps({"apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
                           "kind": "AdmissionReview", "response": resp}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF
: >"$work/reviews.log"
python3 "$work/webhook.py" "$work/wh.crt" "$work/wh.key" "$work/reviews.log" "$work/port" \
    >"$work/webhook.out" 2>&1 &
webhook_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
ca_bundle=$(base64 -w0 <"$pki/ca.crt")
cat >"$work/vwc.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: perimeter-guard-selftest
webhooks:
- name: deny.selftest.perimeterguard.io
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig:
    url: https://127.0.0.1:$port/deny
    caBundle: $ca_bundle
  objectSelector:
    matchLabels: {selftest: deny}
  rules:
  - apiGroups: ["$group"]
    apiVersions: ["*"]
    operations: ["CREATE", "UPDATE"]
    resources: ["$plural"]
    scope: Namespaced
- name: warn.selftest.perimeterguard.io
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig:
    url: https://127.0.0.1:$port/warn
    caBundle: $ca_bundle
  objectSelector:
    matchLabels: {selftest: warn}
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["configmaps"]
EOF
run out err k create -f "$work/vwc.yaml"
check "create ValidatingWebhookConfiguration" has out "created"
sleep 1 # the webhook plugin picks configurations up through an informer

cr denied deny >"$work/denied.yaml"
run out err k create -f "$work/denied.yaml"
check "webhook denies create; kubectl prints the message" has err "perimeter-guard selftest: denied $kind/denied"
show err
check "review was admission.k8s.io/v1 CREATE, dryRun false" \
    grep -q '"path": "/deny", "apiVersion": "admission.k8s.io/v1", "operation": "CREATE", "dryRun": false, "name": "denied"' "$work/reviews.log"
run out err k get "$plural.$group" denied -n default
check "denied object was not stored" has err "NotFound"

run out err k apply --dry-run=server -f "$work/denied.yaml"
check "apply --dry-run=server: webhook denies" has err "perimeter-guard selftest: denied $kind/denied"
check "review had dryRun true" grep -q '"dryRun": true, "name": "denied"' "$work/reviews.log"

run out err k label "$plural.$group" plain -n default selftest=deny
check "webhook denies update (label)" has err "perimeter-guard selftest: denied $kind/plain"

cr other >"$work/other.yaml"
run out err k apply --dry-run=server -f "$work/other.yaml"
check "apply --dry-run=server of an allowed resource" has out "(server dry run)"
run out err k get "$plural.$group" other -n default
check "dry-run object was not stored" has err "NotFound"

run out err k apply -f "$work/other.yaml"
check "apply (client-side) creates" has out "created"
run out err k apply --server-side -f "$work/other.yaml"
check "apply --server-side" has out "serverside-applied"

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warned\n  namespace: default\n  labels: {selftest: warn}\ndata: {a: b}\n' \
    >"$work/cm.yaml"
run out err k apply --dry-run=server -f "$work/cm.yaml"
check "apply --dry-run=server prints webhook warning" has err "Warning: perimeter-guard selftest: warning for warned"
show err
run out err k create -f "$work/cm.yaml"
check "create prints webhook warning" has err "Warning: perimeter-guard selftest: warning for warned"
check "warned object was created" has out "created"

run out err k delete -f "$work/vwc.yaml"
check "delete ValidatingWebhookConfiguration" has out "deleted"

echo "webhook calls: $(wc -l <"$work/reviews.log")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
