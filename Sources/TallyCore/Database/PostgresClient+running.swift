import PostgresNIO

extension PostgresClient {
    /// Runs `body` with this client's connection pool running, for commands and tests
    /// that are not managed by a service group.
    @discardableResult
    public func whileRunning<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}
