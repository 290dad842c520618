# One image for every service: `docker build -t cppcc-liaison .`, then
#   docker run cppcc-liaison serve members          (or consultation, feedback, notify)
#   docker run cppcc-liaison portal                  (the people's pages, stateless)
#   docker run cppcc-liaison migrate                 (the one-shot jobs: create-topics, replay, …)
# The embedded broker and PostgreSQL are not in it: production runs on Apache Kafka and a
# PostgreSQL server (deploy/compose, deploy/k8s).

ARG PYTHON=3.11

FROM python:${PYTHON}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/liaison
COPY requirements/runtime.txt requirements/
COPY shared/ shared/
COPY services/ services/
# The runtime set of uv.lock (the kernel's and the services' dependencies), each file checked
# against its hash; then the kernel, the four services and the portal as wheels, without dependencies.
# No liaison-tools, no test or bench extras: tests/unit/test_kernel_apart.py checks this line.
RUN /opt/liaison/bin/pip install --require-hashes -r requirements/runtime.txt \
 && /opt/liaison/bin/pip install --no-deps ./shared ./services/members ./services/consultation \
        ./services/feedback ./services/notify ./services/portal

FROM python:${PYTHON}-slim AS runtime
LABEL org.opencontainers.image.title="cppcc-liaison" \
      org.opencontainers.image.description="委员联系界别群众 and grassroots consultation: members, consultation, feedback, notify, portal"
RUN groupadd --system --gid 10001 liaison && useradd --system --uid 10001 --gid liaison --no-create-home liaison
COPY --from=build /opt/liaison /opt/liaison
ENV PATH=/opt/liaison/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 LOG_FORMAT=json
USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005
# Health is probed per service by compose and Kubernetes (each listens on its own port).
ENTRYPOINT ["liaison"]
CMD ["--help"]
