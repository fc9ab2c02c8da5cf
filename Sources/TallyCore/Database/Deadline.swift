/// Thrown when an operation did not finish within its deadline.
public struct DeadlineExceeded: Error {}

/// Runs `operation`, giving up after `duration`: a probe must answer even when the
/// database does not (the connection pool would otherwise wait for its circuit breaker,
/// about a minute).
@discardableResult
public func withDeadline<T: Sendable>(_ duration: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
