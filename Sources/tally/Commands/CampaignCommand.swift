import ArgumentParser
import Foundation
import TallyCore
import TallyServer

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Create and list campaigns, directly in the database (the API's rules and change log).",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a campaign from its definition in JSON, as POST /api/v1/campaigns takes it (docs/campaigns.md).")

        @Argument(help: "A file holding the definition; - reads it from standard input.") var file: String
        @Flag(help: "Schedule it too: live inside its window.") var schedule = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            let input = try APIRequestDecoder().decode(CampaignInput.self, from: Array(data))
            let campaign = try await database.withDatabase { client, logger in
                let campaigns = CampaignStore(database: client, logger: logger)
                let created = try await campaigns.create(input, actor: "cli")
                return schedule ? try await campaigns.take(.schedule, id: created.id, actor: "cli") : created
            }
            print("campaign \(campaign.id): \(campaign.name.en ?? ""), \(campaign.status.rawValue)")
        }
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let campaigns = try await database.withDatabase { client, logger in
                try await CampaignStore(database: client, logger: logger).list(status: nil, before: nil, limit: CampaignStore.maxPageSize)
            }
            for campaign in campaigns {
                print("\(campaign.id)  \(campaign.status.rawValue)  v\(campaign.version)  \(campaign.name.en ?? "")")
            }
        }
    }
}
