import Foundation

/// One JSON file per process under `<stateDir>/local/processes/`, replaced
/// atomically (temporary file, fsync, rename, folder fsync): a supervisor
/// killed at any moment leaves the old record or the new one.
struct ProcessRecordStore: Sendable {
    let directory: String

    init(stateDirectory: String) throws(SupervisorError) {
        directory = stateDirectory + "/local/processes"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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
        let final = path(for: record.name)
        let temporary = "\(directory)/.\(record.name).\(UInt32.random(in: 0...UInt32.max)).tmp"
        try Self.writeDurably(data, to: temporary)
        guard rename(temporary, final) == 0 else {
            let error = SupervisorError.system("cannot replace \(final)")
            unlink(temporary)
            throw error
        }
        syncDirectory()
    }

    func remove(_ name: String) {
        unlink(path(for: name))
        syncDirectory()
    }

    /// Every readable record; leftovers of interrupted writes are removed,
    /// and a record that cannot be read is reported, not fatal.
    func loadAll() -> (records: [ProcessRecord], problems: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var records: [ProcessRecord] = []
        var problems: [String] = []
        for name in names.sorted() {
            let full = "\(directory)/\(name)"
            if name.hasPrefix(".") && name.hasSuffix(".tmp") {
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

    private static func writeDurably(_ data: Data, to path: String) throws(SupervisorError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system("cannot write \(path)") }
        defer { close(descriptor) }
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw .system("cannot write \(path)", failure) }
        guard fsync(descriptor) == 0 else { throw .system("cannot sync \(path)") }
    }

    private func syncDirectory() {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
