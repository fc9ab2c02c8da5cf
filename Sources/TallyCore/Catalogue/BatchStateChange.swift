import Foundation

/// One activation or voiding of a run of a batch's codes, as recorded (`batch_state_changes`).
public struct BatchStateChange: Sendable, Equatable, Codable {
    public var id: Int64
    /// The first code's sequence in the batch.
    public var from: Int64
    public var count: Int64
    public var state: CodeState
    public var reason: String?
    /// Who asked: an API key's or a staff member's actor string.
    public var actor: String?
    public var at: Date
}
