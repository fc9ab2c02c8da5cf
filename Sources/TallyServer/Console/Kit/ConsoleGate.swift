import Foundation
import HTTPTypes
import Hummingbird

/// Where a posted console form may come from: its `Origin` (or, without one, its `Referer`)
/// must be the public host or the host the request was sent to. The console requires one of
/// the two (every browser sends `Origin` with a form post), unlike the consumer pages, which
/// let a form without either be judged by its token alone.
enum ConsoleGate {
    static func sameOrigin(_ request: Request, publicHost: String) -> Bool {
        guard let source = request.headers[.origin] ?? request.headers[.referer],
            let authority = ConsumerVisit.authority(of: source)
        else { return false }
        let own = [publicHost, request.head.authority].compactMap { $0.map(ConsumerVisit.normalised) }
        return own.contains(authority)
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func same(_ given: String?, _ expected: String) -> Bool {
        guard let given, given.utf8.count == expected.utf8.count else { return false }
        return zip(given.utf8, expected.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
