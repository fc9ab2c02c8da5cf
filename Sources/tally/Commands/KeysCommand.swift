import ArgumentParser
import TallyCodes

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, rotate and list code-signing keys. Keys themselves are never printed.",
        subcommands: [Generate.self, Rotate.self, List.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new key file (mode 0600) with one random key.")

        @Option(help: "Path of the new key file (refuses to overwrite).")
        var out: String

        @Option(help: "Key id of the first key.")
        var kid: UInt8 = 1

        func run() throws {
            do { try KeyFile.create(path: out, kid: kid) } catch { throw CommandFailure(error.description) }
            let ring = try KeyFile.load(path: out)
            print("wrote \(out): kid \(kid), fingerprint \(ring.key(kid: kid)!.fingerprint)")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a key under the next key id; new batches use it, older codes stay valid."
        )

        @Option(help: "The key file.")
        var file: String

        func run() throws {
            do {
                let kid = try KeyFile.rotate(path: file)
                print("added kid \(kid), fingerprint \(try KeyFile.load(path: file).key(kid: kid)!.fingerprint)")
            } catch { throw CommandFailure(error.description) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key ids and fingerprints.")

        @OptionGroup var keys: KeyOptions

        func run() throws {
            let ring = try keys.loadRing()
            for kid in ring.kids {
                print("kid \(kid)  fingerprint \(ring.key(kid: kid)!.fingerprint)\(kid == ring.newestKid ? "  (signs new batches)" : "")")
            }
        }
    }
}
