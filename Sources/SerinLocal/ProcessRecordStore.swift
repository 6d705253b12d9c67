import Foundation
import SerinEngine

/// One JSON file per process under `<stateDir>/local/processes/`, replaced
/// atomically (temporary file, fsync, rename, folder fsync): a supervisor
/// killed at any moment leaves the old record or the new one.
struct ProcessRecordStore: Sendable {
    let directory: String

    init(stateDirectory: String) throws(SupervisorError) {
        directory = stateDirectory + "/local/processes"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(directory, 0o700)
        } catch {
            throw SupervisorError("cannot create \(directory): \(error.localizedDescription); check the state directory's permissions")
        }
    }

    func path(for name: String) -> String { "\(directory)/\(name).json" }

    func save(_ record: ProcessRecord) throws(SupervisorError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(record) } catch { throw SupervisorError("cannot encode the record of \(record.name): \(error)") }
        do {
            try DurableFile.replace(path(for: record.name), with: data)
        } catch {
            throw SupervisorError(error.description)
        }
    }

    func remove(_ name: String) {
        DurableFile.remove(path(for: name))
    }

    /// Every readable record; leftovers of interrupted writes are removed,
    /// and a record that cannot be read is reported, not fatal.
    func loadAll() -> (records: [ProcessRecord], problems: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var records: [ProcessRecord] = []
        var problems: [String] = []
        for name in names.sorted() {
            let full = "\(directory)/\(name)"
            if DurableFile.isLeftover(name) {
                unlink(full)
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                records.append(try JSONDecoder().decode(ProcessRecord.self, from: data))
            } catch {
                problems.append("cannot read process record \(full): \(error); remove it if its process is gone")
            }
        }
        return (records, problems)
    }
}
