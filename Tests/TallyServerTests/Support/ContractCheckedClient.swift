import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// A test client that holds every answer it receives to the OpenAPI contract
/// (see `ContractValidator`). `TestApp` and the contract tests hand tests this client.
struct ContractCheckedClient: TestClientProtocol {
    let base: any TestClientProtocol

    var port: Int? { base.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
        ContractValidator.expectConforms(
            method, uri, status: Int(response.status.code), headers: response.headers, body: Array(buffer: response.body))
        return response
    }
}

extension TestClient {
    /// Sends `request` and holds the answer to the OpenAPI contract.
    func executeChecked(_ request: TestClient.Request) async throws -> TestClient.Response {
        let response = try await execute(request)
        ContractValidator.expectConforms(
            request.head.method, request.head.path ?? "", status: Int(response.status.code), headers: response.headers,
            body: response.body.map { Array(buffer: $0) } ?? []
        )
        return response
    }

    /// Sends `request` on a connection of its own to the live server on `port` (so that
    /// concurrent requests really overlap), and holds the answer to the OpenAPI contract.
    static func executeAlone(_ request: TestClient.Request, port: Int) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "localhost", port: port) { try await $0.executeChecked(request) }
    }
}
