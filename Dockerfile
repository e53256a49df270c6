# edgeserve's OCI image: the single binary (`npm run build:binary` → dist/edgeserve: Bun, the
# app, both ONNX engines, the image decoders and the built-in models) on distroless/cc (glibc and
# libstdc++, which the embedded ONNX Runtime needs), running as the image's non-root user.
#   npm run build:binary && docker build -t edgeserve:0.1.0 .
# Without a Docker daemon, scripts/build-oci.sh builds an equivalent image (same entrypoint,
# user, ports) from the binary and this machine's Debian libraries. Used by
# deploy/servingruntime.yaml, whose args replace CMD.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --chmod=0555 dist/edgeserve /usr/local/bin/edgeserve
# libonnxruntime is written out once at start: HOME must be writable (an emptyDir on KServe).
ENV HOME=/tmp
USER 65532:65532
EXPOSE 8080 9000
ENTRYPOINT ["/usr/local/bin/edgeserve"]
CMD ["serve", "--port=8080", "--grpc-port=9000"]
