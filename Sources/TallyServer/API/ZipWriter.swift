import CZlib
import Foundation

/// Writes a ZIP archive of small files as it goes (method "stored": PNGs are already
/// compressed). Each entry's bytes are known before it is written, so no data descriptors;
/// only the central directory is kept until the end. Limited to 65,535 entries under 4 GiB.
struct ZipWriter {
    private var offset: UInt32 = 0
    private var directory: [UInt8] = []
    private var entries: UInt16 = 0
    private let dosTime: UInt16
    private let dosDate: UInt16

    init(date: Date = Date()) {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        dosTime = UInt16(parts.hour! << 11 | parts.minute! << 5 | parts.second! / 2)
        dosDate = UInt16((parts.year! - 1980) << 9 | parts.month! << 5 | parts.day!)
    }

    /// The bytes of one entry (local header and data); its directory record is kept for `finish`.
    mutating func entry(name: String, data: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        let size = UInt32(data.count)
        var local: [UInt8] = []
        local.reserveCapacity(30 + nameBytes.count + data.count)
        append32(0x0403_4B50, &local)
        append16(10, &local) // version needed: 1.0
        append16(0x0800, &local) // flags: names are UTF-8
        append16(0, &local) // method: stored
        append16(dosTime, &local)
        append16(dosDate, &local)
        append32(crc, &local)
        append32(size, &local)
        append32(size, &local)
        append16(UInt16(nameBytes.count), &local)
        append16(0, &local)
        local += nameBytes
        local += data

        append32(0x0201_4B50, &directory)
        append16(0x031E, &directory) // made by: Unix, spec 3.0
        append16(10, &directory)
        append16(0x0800, &directory)
        append16(0, &directory)
        append16(dosTime, &directory)
        append16(dosDate, &directory)
        append32(crc, &directory)
        append32(size, &directory)
        append32(size, &directory)
        append16(UInt16(nameBytes.count), &directory)
        append16(0, &directory)
        append16(0, &directory)
        append16(0, &directory)
        append16(0, &directory)
        append32(0o100644 << 16, &directory) // external attributes: a regular file, rw-r--r--
        append32(offset, &directory)
        directory += nameBytes

        offset += UInt32(local.count)
        entries += 1
        return local
    }

    /// The central directory and end record.
    func finish() -> [UInt8] {
        var end = directory
        append32(0x0605_4B50, &end)
        append16(0, &end)
        append16(0, &end)
        append16(entries, &end)
        append16(entries, &end)
        append32(UInt32(directory.count), &end)
        append32(offset, &end)
        append16(0, &end)
        return end
    }

    private func append16(_ value: UInt16, _ out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private func append32(_ value: UInt32, _ out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
