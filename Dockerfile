# The hotelero image: one image for `hotelero sim whatsapp`, `hotelero sim qloapps`, `hotelero agent` and
# `hotelero agent worker` (compose.yaml runs the whole stack from it).
#   docker build -t hotelero/hotelero:latest .
#   docker run --rm --network host hotelero/hotelero:latest sim qloapps --port 8081
# With no registry: `hotelero images build --project` builds a Debian base (debootstrap) and this image on it,
# passing BASE_IMAGE, PIP_NO_INDEX and PIP_FIND_LINKS (a wheelhouse made on the host): no network in the build.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
# pip reads these from the environment; unset (the default) means PyPI alone.
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . /src
RUN python3 -m venv /opt/hotelero && /opt/hotelero/bin/pip install --no-cache-dir /src

# The sources and the wheelhouse stay in the build stage: only the installed venv is shipped.
FROM ${BASE_IMAGE}
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/hotelero/bin:$PATH
COPY --from=build /opt/hotelero /opt/hotelero
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/hotelero hotelero
# Settings come from AGENT_* variables (see .env.example); .env files are read from here.
WORKDIR /home/hotelero
USER hotelero
ENTRYPOINT ["hotelero"]
CMD ["--help"]
