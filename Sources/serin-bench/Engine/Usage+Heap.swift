import Foundation

extension Usage {
    /// Bytes malloc has handed out and not been given back, over every
    /// arena (glibc's `malloc_info`). Unlike the resident set, it does not
    /// hide memory the process freed and allocated again (a parse's
    /// garbage reused by what is measured after it).
    static func heapBytesInUse() -> Int {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_info") else { return 0 }
        let mallocInfo = unsafeBitCast(symbol, to: MallocInfo.self)
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let file = open_memstream(&buffer, &size) else { return 0 }
        _ = mallocInfo(0, file)
        fclose(file)
        guard let buffer else { return 0 }
        defer { free(buffer) }
        let text = String(cString: buffer)
        // The totals over every arena follow the last </heap>.
        guard let end = text.range(of: "</heap>", options: .backwards) else { return 0 }
        let totals = text[end.upperBound...]
        func total(_ tag: String, _ type: String) -> Int {
            guard let start = totals.range(of: "<\(tag) type=\"\(type)\"") else { return 0 }
            let rest = totals[start.upperBound...]
            guard let attribute = rest.range(of: "size=\"") else { return 0 }
            return Int(rest[attribute.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        return total("system", "current") - total("total", "fast") - total("total", "rest") + total("total", "mmap")
    }
}
