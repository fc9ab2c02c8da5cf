import TallyCodes

/// Everything the server needs, read once at start-up by the `tally serve` command.
public struct ServerConfig: Sendable {
    /// Address to listen on, e.g. 127.0.0.1 or 0.0.0.0.
    public var hostname: String
    public var port: Int
    /// The public host printed in QR URLs, e.g. `tally.cn`.
    public var publicHost: String
    public var databaseURL: String
    public var databaseConnections: Int
    public var keyRing: KeyRing

    public init(
        hostname: String = "127.0.0.1",
        port: Int = 8080,
        publicHost: String = "localhost",
        databaseURL: String,
        databaseConnections: Int = 20,
        keyRing: KeyRing
    ) {
        self.hostname = hostname
        self.port = port
        self.publicHost = publicHost
        self.databaseURL = databaseURL
        self.databaseConnections = databaseConnections
        self.keyRing = keyRing
    }
}
