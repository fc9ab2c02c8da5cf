import Foundation

/// The period an abuse alert looks at: from `from` (included) to `to` (excluded). By default the
/// last `defaultDays` days; never longer than `maxDays`, so that every alert reads a bounded
/// slice of history through the time indexes. Checked before anything is queried.
public struct AlertWindow: Sendable, Equatable {
    public static let defaultDays = 7
    public static let maxDays = 92

    public let from: Date
    public let to: Date

    /// `from` and `to` as asked (nil: not given). Without `to`, the window ends `now`; without
    /// `from`, it starts `defaultDays` before its end. `from` not before `to`, or a window longer
    /// than `maxDays`, is a 422 `invalid_alert_window`.
    public init(from: Date? = nil, to: Date? = nil, now: Date = Date()) throws {
        let end = to ?? now
        let start = from ?? end.addingTimeInterval(-Double(Self.defaultDays) * 86_400)
        guard start < end else {
            throw StoreError(
                .invalid, .invalidAlertWindow,
                "from (\(RFC3339.string(from: start))) must be before to (\(RFC3339.string(from: end)))")
        }
        guard end.timeIntervalSince(start) <= Double(Self.maxDays) * 86_400 else {
            throw StoreError(
                .invalid, .invalidAlertWindow,
                "an alert looks at most \(Self.maxDays) days at once; \(RFC3339.string(from: start)) to \(RFC3339.string(from: end)) is longer"
            )
        }
        self.from = start
        self.to = end
    }
}
