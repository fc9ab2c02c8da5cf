import Foundation

/// A delivery with the subscription it belongs to: the console lists deliveries of every
/// subscription in one table.
public struct WebhookDeliveryListing: Sendable, Equatable {
    public var subscriptionId: UUID
    public var url: String
    public var delivery: WebhookDelivery
}
