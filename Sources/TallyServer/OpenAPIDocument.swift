/// The OpenAPI 3.1 contract of the JSON API, served at `/openapi.yaml`.
/// Tests check that every route served is in it with its scope, and nothing more.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Tally API
          version: 1.0.0
        paths: {}
        """#
}
