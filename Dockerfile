# One image for every service: `docker build -t cppcc-liaison .`, then
#   docker run cppcc-liaison serve members          (or consultation, feedback, notify)
#   docker run cppcc-liaison portal                  (the people's pages, stateless)
#   docker run cppcc-liaison migrate                 (the one-shot jobs: create-topics, replay, …)
# The embedded broker and PostgreSQL are not in it: production runs on Apache Kafka and a
# PostgreSQL server (deploy/compose, deploy/k8s).

# The base image by digest: python:3.11-slim's multi-platform index on the day it was pinned, so
# a rebuild starts from the same bytes. A network that cannot reach Docker Hub passes its mirror's
# copy, same digest: --build-arg BASE_IMAGE=registry.example.gov.cn/library/python:3.11-slim@sha256:…
# To renew: `docker buildx imagetools inspect python:3.11-slim`, then keep deploy/compose/.env.example
# in step (tests/deploy/test_images.py).
ARG BASE_IMAGE=python:3.11-slim@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff
# A package index mirror (e.g. https://mirrors.aliyun.com/pypi/simple): every file is still
# checked against uv.lock's hash, so a mirror can serve only the locked bytes.
ARG PIP_INDEX_URL=https://pypi.org/simple
# What the labels say; the release pipeline passes them (`docker build --build-arg VERSION=1.2.0
# --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%FT%TZ)`).
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
# Where the source is published and under which licence: the publisher's to say (SPDX; NOASSERTION
# until it does).
ARG SOURCE=unknown
ARG LICENSES=NOASSERTION

FROM ${BASE_IMAGE} AS build
ARG PIP_INDEX_URL
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_INDEX_URL=${PIP_INDEX_URL}
WORKDIR /src
RUN python -m venv /opt/liaison && python -m venv /opt/sbom
COPY requirements/runtime.txt requirements/sbom.txt requirements/
COPY shared/ shared/
COPY services/ services/
# The runtime set of uv.lock (the kernel's and the services' dependencies), each file checked
# against its hash; then the kernel, the four services and the portal as wheels, without dependencies.
# No liaison-tools, no test or bench extras: tests/unit/test_kernel_apart.py checks this line.
RUN /opt/liaison/bin/pip install --require-hashes -r requirements/runtime.txt \
 && /opt/liaison/bin/pip install --no-deps ./shared ./services/members ./services/consultation \
        ./services/feedback ./services/notify ./services/portal
# The SBOM (CycloneDX JSON) of exactly that environment, written by a tool kept in its own venv
# that is not shipped; it lands in the image at /opt/liaison/sbom.cdx.json.
RUN /opt/sbom/bin/pip install --require-hashes -r requirements/sbom.txt \
 && /opt/sbom/bin/cyclonedx-py environment --output-reproducible --of JSON \
        -o /opt/liaison/sbom.cdx.json /opt/liaison/bin/python

FROM ${BASE_IMAGE} AS runtime
ARG BASE_IMAGE
ARG VERSION
ARG REVISION
ARG CREATED
ARG SOURCE
ARG LICENSES
LABEL org.opencontainers.image.title="cppcc-liaison" \
      org.opencontainers.image.description="委员联系界别群众 and grassroots consultation: members, consultation, feedback, notify, portal" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.vendor="cppcc-liaison" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.documentation="README.md; the SBOM is /opt/liaison/sbom.cdx.json"
RUN groupadd --system --gid 10001 liaison && useradd --system --uid 10001 --gid liaison --no-create-home liaison
COPY --from=build /opt/liaison /opt/liaison
ENV PATH=/opt/liaison/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 LOG_FORMAT=json
USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005
# Health is probed per service by compose and Kubernetes (each listens on its own port).
ENTRYPOINT ["liaison"]
CMD ["--help"]
