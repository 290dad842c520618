"""Images a government network can pull (issue 22.4): the base image pinned by digest and
pullable from a mirror, the package index a build argument (the lock's hashes still checked),
every third-party image behind one registry prefix in compose and in kustomize, OCI labels,
and a CycloneDX SBOM of exactly what the image runs."""

import re
from pathlib import Path

import yaml

from tests.deploy.manifests import build, of_kind

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = ROOT / "deploy" / "compose"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def arg_default(name: str) -> str:
    match = re.search(rf"(?m)^ARG {name}=(\S+)$", DOCKERFILE)
    assert match, f"the Dockerfile declares ARG {name} with a default"
    return match[1]


def stages() -> dict[str, str]:
    """Each stage's text by its name."""
    parts = re.split(r"(?m)^FROM\s+(\S+)\s+AS\s+(\w+)\s*$", DOCKERFILE)
    return {parts[i + 1]: parts[i + 2] for i in range(1, len(parts), 3)} | {
        f"{parts[i + 1]}:from": parts[i] for i in range(1, len(parts), 3)}


def test_every_stage_starts_from_the_base_image_argument_pinned_by_digest():
    base = arg_default("BASE_IMAGE")
    assert base.startswith("python:3.11-slim@") and DIGEST.search(base), base
    assert re.findall(r"(?m)^FROM\s+(\S+)", DOCKERFILE) == ["${BASE_IMAGE}", "${BASE_IMAGE}"]


def test_the_package_index_is_a_build_argument_and_hashes_are_still_required():
    assert arg_default("PIP_INDEX_URL") == "https://pypi.org/simple"
    build_stage = stages()["build"]
    assert re.search(r"(?m)^ARG PIP_INDEX_URL$", build_stage)
    assert "PIP_INDEX_URL=${PIP_INDEX_URL}" in build_stage
    installs = [line for line in build_stage.replace("\\\n", " ").splitlines() if " -r requirements/" in line]
    assert installs and all(line.count("--require-hashes") == line.count(" -r ") for line in installs)
    # the index (which may carry a mirror's credentials) stays in the build stage
    assert "PIP_INDEX_URL" not in stages()["runtime"]


def test_the_image_carries_oci_labels_and_its_sbom():
    runtime = stages()["runtime"]
    labels = dict(re.findall(r'(org\.opencontainers\.image\.[a-z.]+)="([^"]*)"', runtime))
    for key in ("title", "description", "version", "revision", "created", "source", "licenses",
                "vendor", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.base.name"] == "${BASE_IMAGE}"
    build_stage = stages()["build"]
    assert "-r requirements/sbom.txt" in build_stage
    assert re.search(r"cyclonedx-py environment .*/opt/liaison/bin/python", build_stage.replace("\\\n", " "))
    assert "COPY --from=build /opt/liaison /opt/liaison" in runtime
    assert "/opt/sbom" not in runtime, "the SBOM tool is not shipped"
    assert (ROOT / "requirements" / "sbom.txt").read_text().count("cyclonedx-bom==") == 1


def test_compose_pulls_every_third_party_image_through_one_registry_prefix():
    document = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    images = {name: service["image"] for name, service in document["services"].items()}
    ours = {name for name, image in images.items() if image == "${LIAISON_IMAGE}"}
    assert {"members", "portal", "init"} <= ours
    for name, image in images.items():
        if name not in ours:
            assert image.startswith("${IMAGE_REGISTRY}/"), (name, image)
    env = dict(re.findall(r"(?m)^([A-Z0-9_]+)=(.*)$", (COMPOSE / ".env.example").read_text()))
    assert env["IMAGE_REGISTRY"] == "docker.io"
    assert env["BASE_IMAGE"] == arg_default("BASE_IMAGE")
    assert env["PIP_INDEX_URL"] == arg_default("PIP_INDEX_URL")
    build_args = document["x-service"]["build"]["args"]
    assert build_args == {"BASE_IMAGE": "${BASE_IMAGE}", "PIP_INDEX_URL": "${PIP_INDEX_URL}"}


def test_kustomize_moves_every_image_to_the_overlays_registry():
    for overlay in ("dev", "prod"):
        objects = build(overlay)
        images = [container["image"] for kind in ("Deployment", "Job")
                  for obj in of_kind(objects, kind).values()
                  for container in obj["spec"]["template"]["spec"]["containers"]]
        images += [cluster["spec"]["imageName"] for cluster in of_kind(objects, "Cluster").values()]
        assert images and all(image.startswith("registry.example.gov.cn/") for image in images), (overlay, images)
