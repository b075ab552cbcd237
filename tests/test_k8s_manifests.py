"""Every manifest in deploy/k8s validates offline: built-in kinds against the Kubernetes schemas
shipped by ``kubernetes-validate`` (strict: an unknown field is an error), the KubeRay RayService
against tests/data/rayservice.schema.json, its pod templates as Kubernetes PodTemplateSpecs and
its Serve config as the same application as deploy/ray/serve.yaml.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
RAYSERVICE_SCHEMA = json.loads((REPO / "tests" / "data" / "rayservice.schema.json").read_text())
CRD_KINDS = {"RayService"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{path.name}:{doc['kind']}", doc) for path in sorted(K8S.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


DOCS = documents()
BUILTIN = [(name, doc) for name, doc in DOCS if doc["kind"] not in CRD_KINDS]
RAYSERVICES = [doc for _, doc in DOCS if doc["kind"] == "RayService"]


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc["kind"] == kind]


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(("name", "doc"), BUILTIN, ids=[n for n, _ in BUILTIN])
def test_builtin_manifest_yields_valid_against_the_kubernetes_schema(name: str, doc: dict[str, Any]) -> None:
    validate(doc)


def test_every_required_kind_yields_a_manifest() -> None:
    kinds = {doc["kind"] for _, doc in DOCS}
    assert kinds >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
                     "RayService"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "template", "spec", "containers", 0, "readinessProbe", "httpGets"), {"path": "/readyz"}),
        (("spec", "replicas"), "two"),
        (("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"), "http"),
    ],
    ids=["unknown-field", "wrong-type", "port-name-as-number"],
)
def test_broken_deployment_yields_a_validation_error(path: tuple[Any, ...], value: Any) -> None:
    broken = copy.deepcopy(by_kind("Deployment")[0])
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_deployment_probes_yield_readyz_and_healthz() -> None:
    (container,) = by_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("policy", by_kind("NetworkPolicy"), ids=lambda p: p["metadata"]["name"])
def test_network_policy_yields_no_egress_outside_its_own_pods(policy: dict[str, Any]) -> None:
    spec = policy["spec"]
    assert "Egress" in spec["policyTypes"]
    for rule in spec.get("egress", []):
        assert all(set(peer) == {"podSelector"} for peer in rule["to"]), rule  # no ipBlock, no other namespace
        assert all(peer["podSelector"]["matchLabels"] == spec["podSelector"]["matchLabels"] for peer in rule["to"])


def test_scorer_pods_yield_covered_by_a_policy_without_egress() -> None:
    labels = by_kind("Deployment")[0]["spec"]["template"]["metadata"]["labels"]
    covering = [p for p in by_kind("NetworkPolicy")
                if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()]
    assert covering and all(p["spec"]["egress"] == [] for p in covering)


@pytest.mark.parametrize("service", RAYSERVICES, ids=lambda s: s["metadata"]["name"])
def test_rayservice_yields_valid_against_the_kuberay_schema(service: dict[str, Any]) -> None:
    jsonschema.validate(service, RAYSERVICE_SCHEMA)


def test_broken_rayservice_yields_a_schema_error() -> None:
    broken = copy.deepcopy(RAYSERVICES[0])
    broken["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParams"]["num-cpus"] = 0  # must be a string
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, RAYSERVICE_SCHEMA)


def pod_templates(service: dict[str, Any]) -> list[dict[str, Any]]:
    cluster = service["spec"]["rayClusterConfig"]
    return [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster.get("workerGroupSpecs", []))]


@pytest.mark.parametrize("template", [t for s in RAYSERVICES for t in pod_templates(s)],
                         ids=lambda t: t["spec"]["containers"][0]["name"])
def test_rayservice_pod_template_yields_a_valid_pod_template(template: dict[str, Any]) -> None:
    validate({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template})


def test_rayservice_serve_config_yields_the_serve_yaml_application() -> None:
    embedded = yaml.safe_load(RAYSERVICES[0]["spec"]["serveConfigV2"])
    local = yaml.safe_load((REPO / "deploy" / "ray" / "serve.yaml").read_text())
    ((app,), (local_app,)) = embedded["applications"], local["applications"]
    assert app["import_path"] == local_app["import_path"]
    assert [d["name"] for d in app["deployments"]] == [d["name"] for d in local_app["deployments"]]
    assert app["args"]["api_keys_file"], "an open bind address needs API keys"


def unconfined(pod_spec: dict[str, Any]) -> bool:
    contexts = [pod_spec.get("securityContext", {})] + [c.get("securityContext", {}) for c in pod_spec["containers"]]
    return any(ctx.get(key, {}).get("type") == "Unconfined" for ctx in contexts
               for key in ("seccompProfile", "appArmorProfile"))


def test_unconfined_pods_yield_a_namespace_that_admits_them() -> None:
    pods = [by_kind("Deployment")[0]["spec"]["template"]["spec"], *(t["spec"] for s in RAYSERVICES
                                                                  for t in pod_templates(s))]
    (namespace,) = by_kind("Namespace")
    if any(unconfined(p) for p in pods):  # Pod Security baseline and restricted reject Unconfined profiles
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert not any(c.get("securityContext", {}).get("privileged") for p in pods for c in p["containers"])
