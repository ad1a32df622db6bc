# netcard-bot container image. Build: docker build -t netcard-bot .
# Run with compose.yaml (a data volume and an env file); see README.md, "Deploy".

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# `--locked`: the exact versions of Cargo.lock, as tested.
RUN cargo build --release --locked --bin netcard-bot \
 && cp target/release/netcard-bot /netcard-bot

FROM debian:bookworm-slim
# TLS roots for Telegram and OneClickDZ come with the binary (rustls + webpki roots): nothing to install.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin netcard \
 && mkdir -p /data && chown netcard:netcard /data && chmod 700 /data
COPY --from=build /netcard-bot /usr/local/bin/netcard-bot
USER netcard
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:///data/netcard.db \
    HTTP_LISTEN=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
# The bot asks its own /healthz (HTTP_LISTEN): no curl or wget in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["netcard-bot", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["netcard-bot"]
CMD ["run"]
