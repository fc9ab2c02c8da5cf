/// The events a webhook subscription may ask for. `emit_event` (db/functions/emit_event.sql)
/// writes them; the database refuses any other type in a subscription, too.
public enum WebhookEventType {
    public static let all = [
        "member.created", "points.credited", "points.debited", "points.expired",
        "redemption.created", "redemption.cancelled", "member.merged", "tier.changed", "campaign.awarded",
    ]

    /// The valid types, for error messages.
    static var listed: String { "one or more of " + all.joined(separator: ", ") }

    /// The types asked for, each once, in the order given; refuses an empty list or an unknown type.
    static func validate(_ types: [String]) throws -> [String] {
        guard !types.isEmpty else {
            throw StoreError(.invalid, .invalidEventTypes, "event_types must list \(listed)")
        }
        var seen: [String] = []
        for type in types where !seen.contains(type) {
            guard all.contains(type) else {
                let shown = type.unicodeScalars.count > 40 ? String(type.unicodeScalars.prefix(40)) + "…" : type
                throw StoreError(
                    .invalid, .invalidEventType, "unknown event type \"\(shown)\"; valid types: \(all.joined(separator: ", "))")
            }
            seen.append(type)
        }
        return seen
    }
}
