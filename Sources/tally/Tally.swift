import ArgumentParser

@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Tally: signed QR codes on every package, points in one member account.",
        subcommands: [
            ServeCommand.self,
            MigrateCommand.self,
            MintCommand.self,
            QRCommand.self,
            VerifyCommand.self,
            KeysCommand.self,
            APIKeyCommand.self,
            StaffCommand.self,
            ProductCommand.self,
            CampaignCommand.self,
            BatchCommand.self,
            CheckCommand.self, ExpireCommand.self,
            BenchCommand.self,
        ]
    )
}
