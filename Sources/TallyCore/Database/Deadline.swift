import NIOCore
import PostgresNIO
import Synchronization

/// Thrown when an operation did not finish within its deadline.
public struct DeadlineExceeded: Error {
    public init() {}
}

/// Runs `operation`, giving up after `duration` even if the operation never returns.
///
/// Waiting for a cancelled operation to end is not enough: PostgresNIO 1.33 can leave a query
/// written to a connection that closes at that moment unanswered for ever (its fix,
/// vapor/postgres-nio#487, was reverted in #501), and its queries do not end on cancellation.
/// So the operation runs in a task of its own, which is cancelled at the deadline and left to
/// end by itself, while the caller gets `expired()` (`DeadlineExceeded` unless it says otherwise)
/// at once. Task-local values (the request's `CommitGate`) go with the operation.
@discardableResult
public func withDeadline<T: Sendable>(
    _ duration: Duration,
    expired: @escaping @Sendable () -> any Error = { DeadlineExceeded() },
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withDeadline(until: .now + duration, expired: expired, operation)
}

/// `withDeadline`, with the deadline as an instant (a request's, shared by its steps).
@discardableResult
public func withDeadline<T: Sendable>(
    until deadline: ContinuousClock.Instant,
    expired: @escaping @Sendable () -> any Error = { DeadlineExceeded() },
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    let remaining = ContinuousClock.now.duration(to: deadline).components
    let nanoseconds = max(0, remaining.seconds * 1_000_000_000 + remaining.attoseconds / 1_000_000_000)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            // The timer is an event loop's (cheaper than a sleeping task, on every request).
            let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(nanoseconds)) {
                race.finish(.failure(expired()))
            }
            race.start(
                continuation, timer: timer,
                work: Task {
                    do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                })
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The one answer of `withDeadline`: whichever of the operation, the timer and cancellation
/// comes first resumes the caller; the others are cancelled.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Scheduled<Void>?
        /// An answer that came before `start` (cancellation of the caller).
        var early: Result<T, any Error>?
        var finished = false
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, timer: Scheduled<Void>, work: Task<Void, Never>) {
        let early: Result<T, any Error>? = state.withLock { state in
            guard !state.finished else { return state.early }
            state.continuation = continuation
            state.work = work
            state.timer = timer
            return nil
        }
        if let early {
            work.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Scheduled<Void>?) in
            guard !state.finished else { return (nil, nil, nil) }
            state.finished = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, nil, nil)
            }
            defer { (state.continuation, state.work, state.timer) = (nil, nil, nil) }
            return (continuation, state.work, state.timer)
        }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
