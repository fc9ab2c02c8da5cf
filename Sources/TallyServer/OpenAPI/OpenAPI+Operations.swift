extension OpenAPISection {
    /// Health, metrics and this document.
    static let operations = OpenAPISection(
        paths: #"""
              /healthz:
                get:
                  tags: [ops]
                  operationId: healthz
                  summary: Liveness
                  security: []
                  responses:
                    '200':
                      description: The process is up (an empty body).
              /readyz:
                get:
                  tags: [ops]
                  operationId: readyz
                  summary: Readiness
                  description: Whether the server reaches its database, within about two seconds.
                  security: []
                  responses:
                    '200':
                      description: Ready for traffic.
                      content:
                        text/plain:
                          schema:
                            type: string
                            const: "ready\n"
                    '503':
                      description: The database cannot be reached.
                      content:
                        text/plain:
                          schema:
                            type: string
              /metrics:
                get:
                  tags: [ops]
                  operationId: metrics
                  summary: Prometheus metrics
                  security: []
                  responses:
                    '200':
                      description: Metrics in the Prometheus text format 0.0.4.
                      content:
                        text/plain:
                          schema:
                            type: string
              /openapi.yaml:
                get:
                  tags: [ops]
                  operationId: openAPIDocument
                  summary: This document
                  security: []
                  responses:
                    '200':
                      description: The OpenAPI 3.1 contract of this server.
                      content:
                        application/yaml:
                          schema:
                            type: string
            """#,
        schemas: nil
    )
}
