import Foundation

/// One export of a batch's codes (`export_audit`): who took which range, in which form, when.
public struct ExportRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var actor: String
    /// csv, txt, png, svg or zip.
    public var kind: String
    /// The first code's sequence in the batch.
    public var from: Int64
    public var count: Int64
    public var at: Date
}
