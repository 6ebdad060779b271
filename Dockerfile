# image-automation as a container:
#   buildah bud -t image-automation .        (or docker build / podman build)
#   docker run ... image-automation run --state postgresql://... git+https://...#main:policies
#
# BASE is any Debian-family image with Python >= 3.11 as `python3`: the public Python image by
# default, or a base made locally (the test suite builds one with `mmdebstrap --variant=minbase`).
# The same BASE is used for both stages, so the virtual environment built in the first stage
# finds the same interpreter in the second.
ARG BASE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE} AS build
# venv + pip come with the Python image; a bare Debian python3 needs python3-venv (ensurepip).
RUN if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3 -m venv /opt/image-automation
ENV PATH=/opt/image-automation/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ONLY_BINARY=:all:
WORKDIR /src
# Dependencies first, from PyPI as binary wheels (no compiler anywhere), in a layer of their own
# that a source change does not invalidate: a stub package stands in for the real one.
# Behind a TLS-inspecting proxy, hand its CA bundle over as a build secret (it never reaches a
# layer): `--secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt`.
COPY pyproject.toml README.md ./
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && mkdir automation && touch automation/__init__.py \
    && pip install . && pip uninstall -y image-automation \
    && rm -rf automation build ./*.egg-info
COPY automation ./automation
# The project itself is pure Python; its build backend (setuptools) lives only in this stage.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && pip install --no-deps . \
    && pip uninstall -y pip setuptools

FROM ${BASE}
# What the program runs at run time: git (clone/fetch/push), OpenSSH for ssh:// remotes (host
# keys are checked by OpenSSH), gpg/ssh-keygen for signed commits, CA certificates for https.
# Installed only when the base lacks them, so a base that already has them builds offline.
RUN need=""; \
    for p in git openssh-client gnupg ca-certificates; do \
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need="$need $p"; \
    done; \
    if [ -n "$need" ]; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /opt/image-automation /opt/image-automation
# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --gid 10001 automation \
    && useradd --uid 10001 --gid 10001 --home-dir /home/automation --create-home \
        --shell /usr/sbin/nologin automation \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/image-automation
USER 10001:10001
WORKDIR /home/automation
# State and cached clones under one directory, so a read-only root filesystem needs a single
# writable volume. PostgreSQL deployments pass --state postgresql://... instead.
ENV PATH=/opt/image-automation/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/automation \
    XDG_CACHE_HOME=/var/lib/image-automation/cache \
    IMAGE_AUTOMATION_STATE=/var/lib/image-automation/state.db
EXPOSE 9292
ENTRYPOINT ["image-automation"]
CMD ["--help"]
