import Foundation

/// Sign-in codes asked for many different phones from one address (or network): someone
/// creating members in bulk, or trying numbers.
public struct SignInCodeAlert: Sendable, Codable, Equatable {
    /// The address (`203.0.113.9`) or network (`203.0.113.0/24`).
    public var address: String
    /// Different phones codes were asked for.
    public var phones: Int
    /// Codes asked for (a code whose delivery failed is withdrawn and not counted).
    public var codes: Int
    public var firstAt: Date
    public var lastAt: Date
    /// Up to five of the phones, masked as on pages (`138****8000`), in number order.
    public var maskedPhones: [String]
}
