#!/usr/bin/env bash
# End-to-end check of the test API server itself (not of Perimeter Guard):
# builds it, starts it with a throwaway webhook (python3, HTTPS) configured
# through the admission objects file, and checks over plain HTTPS (curl):
# CRD serving, webhook deny/allow, namespaceSelector exclusion, dryRun,
# /status, watch and a mutating webhook.
#
#   scripts/apiserver/selftest.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/apiserver-selftest.XXXXXX")
hook_pid=
cleanup() {
    "$here/stop.sh" "$work/data" || true
    [ -n "$hook_pid" ] && kill "$hook_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

eval "$("$here/build.sh")"
export ETCD APISERVER

# --- a webhook: denies unless spec.allow, logs every review; /mutate adds a label.
cat >"$work/hook.py" <<'PY'
import base64, json, ssl, sys
from http.server import HTTPServer, BaseHTTPRequestHandler
cert, key, log, portfile = sys.argv[1:5]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path.split("?")[0], "op": req["operation"],
                                "ns": req.get("namespace"), "name": req.get("name"),
                                "sub": req.get("subResource"), "dryRun": req.get("dryRun")}) + "\n")
        resp = {"uid": req["uid"], "allowed": True}
        if self.path.startswith("/mutate"):
            patch = [{"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}]
            resp.update(patchType="JSONPatch", patch=base64.b64encode(json.dumps(patch).encode()).decode())
        elif not ((req.get("object") or {}).get("spec") or {}).get("allow"):
            resp.update(allowed=False, status={"code": 403, "message": "perimeter says no to %s" % req.get("name")})
        out = json.dumps({"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": resp}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *args):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server = HTTPServer(("127.0.0.1", 0), H)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
open(portfile, "w").write(str(server.server_address[1]))
server.serve_forever()
PY
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=hook \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/hook.key" -out "$work/hook.crt" 2>/dev/null
python3 "$work/hook.py" "$work/hook.crt" "$work/hook.key" "$work/calls.log" "$work/hook.port" &
hook_pid=$!
for _ in $(seq 1 50); do [ -s "$work/hook.port" ] && break; sleep 0.1; done
hook=https://127.0.0.1:$(cat "$work/hook.port")
ca_bundle=$(base64 -w0 <"$work/hook.crt")
touch "$work/calls.log"

# --- admission objects: two namespaces, one excluded by the webhook's namespaceSelector.
cat >"$work/objects.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: guarded}
---
apiVersion: v1
kind: Namespace
metadata:
  name: exempt
  labels: {perimeter-guard.io/ignore: "true"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: selftest}
webhooks:
- name: widgets.selftest.example.com
  clientConfig: {url: "$hook/validate", caBundle: "$ca_bundle"}
  rules:
  - {apiGroups: [example.com], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [widgets, widgets/status]}
  namespaceSelector:
    matchExpressions: [{key: perimeter-guard.io/ignore, operator: DoesNotExist}]
  sideEffects: None
  admissionReviewVersions: [v1]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: selftest}
webhooks:
- name: label.selftest.example.com
  clientConfig: {url: "$hook/mutate", caBundle: "$ca_bundle"}
  rules:
  - {apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}
  sideEffects: None
  admissionReviewVersions: [v1]
EOF

kubeconfig=$("$here/start.sh" "$work/objects.yaml" "$work/data")
[ -f "$kubeconfig" ]
. "$work/data/env"
api() { # METHOD PATH [BODY [CONTENT-TYPE]] -> prints HTTP code, body in $work/out
    curl -s -o "$work/out" -w '%{http_code}' --cacert "$CA_CERT" --cert "$CLIENT_CERT" --key "$CLIENT_KEY" \
        -X "$1" -H "Content-Type: ${4:-application/json}" ${3:+--data "$3"} "$APISERVER_URL$2"
}
field() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"o": o}))' "$work/out" "$1"; }
calls() { # count the webhook calls matching a Python expression on c
    python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if eval(sys.argv[2], {"c": json.loads(l)})))' \
        "$work/calls.log" "$1"
}
widget() { echo "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"allow\":$2}}"; }

passed=0 failed=0
check() { # NAME COMMAND...
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        [ -s "$work/out" ] && head -c 600 "$work/out" && echo
    fi
}
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }
has() { [[ "$1" == *"$2"* ]] || { echo "  '$1' lacks '$2'"; return 1; }; }

crd='{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
 "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
  "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
   "schema":{"openAPIV3Schema":{"type":"object","properties":{
     "spec":{"type":"object","properties":{"allow":{"type":"boolean"}}},
     "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}}'
check "create CRD" is "$(api POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$crd")" 201
for _ in $(seq 1 100); do
    [ "$(api GET /apis/example.com/v1)" = 200 ] && break
    sleep 0.1
done
check "CRD served" is "$(api GET /apis/example.com/v1/namespaces/guarded/widgets)" 200
ns=/apis/example.com/v1/namespaces

check "webhook denies" is "$(api POST $ns/guarded/widgets "$(widget w1 false)")" 403
check "denial carries the webhook's message" has "$(field 'o["message"]')" \
    'admission webhook "widgets.selftest.example.com" denied the request: perimeter says no to w1'
check "webhook allows" is "$(api POST $ns/guarded/widgets "$(widget w2 true)")" 201
check "mutating webhook ran" is "$(field 'o["metadata"]["labels"]["mutated"]')" yes
check "webhook saw the create" is "$(calls 'c["path"] == "/validate" and c["op"] == "CREATE" and c["name"] == "w2"')" 1

check "excluded namespace admitted" is "$(api POST $ns/exempt/widgets "$(widget w3 false)")" 201
check "webhook not called for excluded namespace" is "$(calls 'c["path"] == "/validate" and c["ns"] == "exempt"')" 0

check "dryRun create denied" is "$(api POST "$ns/guarded/widgets?dryRun=All" "$(widget w4 false)")" 403
check "webhook got dryRun true" is "$(calls 'c["path"] == "/validate" and c["name"] == "w4" and c["dryRun"] is True')" 1
check "dryRun allowed create not stored" is "$(api POST "$ns/guarded/widgets?dryRun=All" "$(widget w5 true)")" 201
check "  (GET after dryRun)" is "$(api GET $ns/guarded/widgets/w5)" 404

check "implicit default namespace" is "$(api POST $ns/default/widgets "$(widget w6 true)")" 201
check "undeclared namespace rejected by selector lookup" is "$(api POST $ns/nowhere/widgets "$(widget w7 true)")" 404

# watch from the current resourceVersion, then change /status.
api GET $ns/guarded/widgets >/dev/null
rv=$(field 'o["metadata"]["resourceVersion"]')
curl -s -N --max-time 5 --cacert "$CA_CERT" --cert "$CLIENT_CERT" --key "$CLIENT_KEY" \
    "$APISERVER_URL$ns/guarded/widgets?watch=1&resourceVersion=$rv" >"$work/watch" &
watch_pid=$!
sleep 0.5
check "status patch" is "$(api PATCH $ns/guarded/widgets/w2/status '{"status":{"phase":"Ready"}}' application/merge-patch+json)" 200
check "status set" is "$(field 'o["status"]["phase"]')" Ready
check "webhook saw the status update" is "$(calls 'c["op"] == "UPDATE" and c["name"] == "w2" and c["sub"] == "status"')" 1
check "spec ignored by /status" is "$(api PATCH $ns/guarded/widgets/w2/status '{"spec":{"allow":false}}' application/merge-patch+json)" 200
check "  (spec unchanged)" is "$(field 'o["spec"]["allow"]')" True
check "update through webhook denied" is "$(api PATCH $ns/guarded/widgets/w2 '{"spec":{"allow":false}}' application/merge-patch+json)" 403
wait "$watch_pid" || true
check "watch saw the status change" has "$(grep '"MODIFIED"' "$work/watch" | head -n 1)" '"phase":"Ready"'

check "/version" has "$(api GET /version; field 'o["gitVersion"]')" "200v1."
check "anonymous forbidden" is "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_CERT" "$APISERVER_URL/apis")" 403

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
