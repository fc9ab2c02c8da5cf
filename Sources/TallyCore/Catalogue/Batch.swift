import Foundation

/// A batch of codes: one contiguous serial range under one key id.
/// Codes are addressed by sequence 0 ..< quantity; serial = firstSerial + sequence.
public struct Batch: Sendable, Equatable, Codable {
    public var id: Int64
    public var sku: String
    public var kid: Int
    public var firstSerial: Int64
    public var quantity: Int64
    public var pointsPerCode: Int
    /// Months this batch's points stay spendable; nil: the programme's default.
    public var pointsValidMonths: Int?
    public var lot: String?
    /// `YYYY-MM-DD`
    public var productionDate: String?
    public var expiryDate: String?
    public var region: String?
    public var channel: String?
    /// `short` or `gs1`.
    public var urlForm: String
    /// The product's GTIN, printed in GS1 Digital Link URLs.
    public var gtin: String?
    public var createdBy: String?
    public var createdAt: Date
    /// The batch's codes by state, as contiguous sequence ranges covering the whole batch.
    public var ranges: [BatchRange]
}

/// A run of a batch's codes in one state.
public struct BatchRange: Sendable, Equatable, Codable {
    public var from: Int64
    public var count: Int64
    public var state: CodeState

    public init(from: Int64, count: Int64, state: CodeState) {
        self.from = from
        self.count = count
        self.state = state
    }
}

/// Where a printed code is in its life: created (not yet claimable) → active → voided.
public enum CodeState: String, Sendable, Codable {
    case created
    case active
    case voided
}

/// What the packaging line asks for when it creates a batch.
public struct NewBatch: Sendable, Codable, Equatable {
    public var sku: String
    public var quantity: Int64
    /// Defaults to the product's default points.
    public var pointsPerCode: Int?
    /// Overrides the programme's points expiry for this batch (0: never expire).
    public var pointsValidMonths: Int?
    public var lot: String?
    public var productionDate: String?
    public var expiryDate: String?
    public var region: String?
    public var channel: String?
    /// `short` (default) or `gs1` (needs a product GTIN).
    public var urlForm: String?

    public init(
        sku: String, quantity: Int64, pointsPerCode: Int? = nil, lot: String? = nil, productionDate: String? = nil,
        expiryDate: String? = nil, region: String? = nil, channel: String? = nil, urlForm: String? = nil,
        pointsValidMonths: Int? = nil
    ) {
        self.sku = sku
        self.quantity = quantity
        self.pointsPerCode = pointsPerCode
        self.pointsValidMonths = pointsValidMonths
        self.lot = lot
        self.productionDate = productionDate
        self.expiryDate = expiryDate
        self.region = region
        self.channel = channel
        self.urlForm = urlForm
    }

    public static let maxQuantity: Int64 = 50_000_000
}

extension Batch {
    /// Applies state changes (oldest first) to the whole batch, giving the runs of each state.
    static func ranges(quantity: Int64, changes: [(from: Int64, to: Int64, state: CodeState)]) -> [BatchRange] {
        var runs = [BatchRange(from: 0, count: quantity, state: .created)]
        for change in changes {
            var next: [BatchRange] = []
            for run in runs {
                let end = run.from + run.count
                // The parts of `run` before, inside and after the change.
                if run.from < change.from {
                    next.append(BatchRange(from: run.from, count: min(end, change.from) - run.from, state: run.state))
                }
                let overlapStart = max(run.from, change.from)
                let overlapEnd = min(end, change.to)
                if overlapStart < overlapEnd {
                    next.append(BatchRange(from: overlapStart, count: overlapEnd - overlapStart, state: change.state))
                }
                if end > change.to {
                    let start = max(run.from, change.to)
                    next.append(BatchRange(from: start, count: end - start, state: run.state))
                }
            }
            // Merge neighbours in the same state.
            runs = next.reduce(into: []) { merged, run in
                if let last = merged.last, last.state == run.state, last.from + last.count == run.from {
                    merged[merged.count - 1].count += run.count
                } else {
                    merged.append(run)
                }
            }
        }
        return runs
    }
}
