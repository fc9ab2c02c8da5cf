import Foundation

/// A buffered byte sink over a file descriptor: memory stays bounded however much is written.
final class ByteSink {
    private let handle: FileHandle
    private let closeWhenDone: Bool
    private(set) var buffer: [UInt8] = []
    let flushThreshold: Int

    /// Standard output, or a new file at `path` (refusing to overwrite one).
    init(path: String?, flushThreshold: Int = 1 << 16) throws {
        self.flushThreshold = flushThreshold
        buffer.reserveCapacity(flushThreshold + 4096)
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            closeWhenDone = true
        } else {
            handle = FileHandle.standardOutput
            closeWhenDone = false
        }
    }

    /// Lets the caller append to the buffer directly, then flushes if it grew past the threshold.
    @inline(__always)
    func write(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= flushThreshold { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if closeWhenDone {
            try handle.synchronize()
            try handle.close()
        }
    }
}
