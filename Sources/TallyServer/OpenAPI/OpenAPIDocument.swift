import Hummingbird
import NIOCore

/// The OpenAPI 3.1 contract of the JSON API: `Resources/openapi.yaml`, compiled into the
/// binary and served byte for byte at `/openapi.yaml`. Tests hold the server to it: every
/// route served is in it with its scope, and every JSON answer matches its schema.
enum OpenAPIDocument {
    static let yaml: [UInt8] = PackageResources.openapi_yaml

    static func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: yaml))
            )
        }
    }
}
