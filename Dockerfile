# image-automation as a container: `docker run ... image-automation run /policies`
FROM python:3.11-slim

# git + ssh for SSH remotes (host keys are checked by OpenSSH), gnupg/ssh-keygen for signing.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client gnupg ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY automation ./automation
RUN pip install --no-cache-dir . && rm -rf /src

RUN useradd --create-home --uid 10001 automation
USER automation
WORKDIR /home/automation
ENV IMAGE_AUTOMATION_STATE=/home/automation/state/state.db

ENTRYPOINT ["image-automation"]
CMD ["--help"]
