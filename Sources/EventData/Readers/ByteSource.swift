import CZlib

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of a file, plain or gzip-compressed, read front to back in chunks.
///
/// Compression is recognised by the gzip magic bytes `1f 8b`, not by the file name, and
/// inflated on the fly with zlib, so a multi-gigabyte `.csv.gz` never sits in memory.
/// Concatenated gzip members (as written by `cat a.gz b.gz`, `pigz` or `bgzip`) are read
/// one after the other.
final class ByteSource {
    /// The path, for error messages.
    let path: String
    /// The file's size on disk (compressed size for gzip), when it is a regular file.
    let fileSize: Int64?
    /// Bytes read from the file so far (compressed bytes for gzip), for progress reports.
    private(set) var fileBytesRead: Int64 = 0

    private let descriptor: Int32
    /// Bytes read while sniffing the magic number that have not been handed out yet.
    private var pending: [UInt8]
    private var inflater: Inflater?

    /// Opens `path` for reading.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be opened
    ///   or read, or zlib cannot start.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw EventDataError.unreadable(path: path, reason: Self.describeErrno(errno))
        }
        self.descriptor = descriptor
        var info = stat()
        let isStatted = fstat(descriptor, &info) == 0
        if isStatted && (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw EventDataError.unreadable(path: path, reason: "it is a folder; give the path of a file inside it")
        }
        fileSize = isStatted && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
        var magic = [UInt8](repeating: 0, count: 2)
        let count = magic.withUnsafeMutableBytes { Self.readFully(descriptor, into: $0) }
        guard count >= 0 else {
            let code = errno
            close(descriptor)
            throw EventDataError.unreadable(path: path, reason: Self.describeErrno(code))
        }
        fileBytesRead = Int64(count)
        let isCompressed = count == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        pending = isCompressed ? [] : Array(magic[0..<count])
        if isCompressed {
            do {
                inflater = try Inflater(path: path, firstBytes: magic)
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    deinit { close(descriptor) }

    /// Fills `buffer` with the next bytes (decompressed if needed) and returns how many were
    /// written: `buffer.count` except at the end of the data, `0` once everything was read.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` on a read error or a truncated or
    ///   corrupt gzip stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let inflater {
            return try inflater.inflate(into: buffer) { try readFile(into: $0) }
        }
        var written = 0
        if !pending.isEmpty {
            let count = min(pending.count, buffer.count)
            pending.withUnsafeBytes { source in
                if let base = buffer.baseAddress, let from = source.baseAddress {
                    base.copyMemory(from: from, byteCount: count)
                }
            }
            pending.removeFirst(count)
            written = count
        }
        guard written < buffer.count else { return written }
        return written + (try readFile(into: UnsafeMutableRawBufferPointer(rebasing: buffer[written...])))
    }

    /// Reads raw file bytes until `buffer` is full or the file ends.
    private func readFile(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let total = Self.readFully(descriptor, into: buffer)
        guard total >= 0 else { throw EventDataError.unreadable(path: path, reason: Self.describeErrno(errno)) }
        fileBytesRead += Int64(total)
        return total
    }

    /// Reads until `buffer` is full or the file ends; `-1` on an error (see `errno`).
    private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var total = 0
        while total < buffer.count {
            #if canImport(Glibc)
                let count = Glibc.read(descriptor, base + total, buffer.count - total)
            #else
                let count = Darwin.read(descriptor, base + total, buffer.count - total)
            #endif
            if count < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    private static func describeErrno(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file; check the path"
        case EACCES: return "permission denied; check the file's permissions"
        case EISDIR: return "it is a folder; give the path of a file inside it"
        default: return String(cString: strerror(code))
        }
    }
}

/// A zlib inflate stream over compressed input pulled from a file.
private final class Inflater {
    private let path: String
    /// The stream lives at a fixed address: zlib keeps a pointer back to it.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    /// True between the end of one gzip member and the start of the next (or the file's end).
    private var betweenMembers = false
    private var finished = false
    private var compressedOffset: Int64 = 0

    private static let inputChunk = 256 * 1024

    init(path: String, firstBytes: [UInt8]) throws {
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: Self.inputChunk, alignment: 16)
        // 15 + 32: the largest window, with gzip or zlib headers recognised automatically.
        let status = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw EventDataError.unreadable(path: path, reason: "zlib could not start (code \(status))")
        }
        if let base = input.baseAddress {
            firstBytes.withUnsafeBytes { source in
                if let from = source.baseAddress { base.copyMemory(from: from, byteCount: source.count) }
            }
            stream.pointee.next_in = base.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(firstBytes.count)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Inflates into `output` until it is full or the compressed data ends.
    func inflate(
        into output: UnsafeMutableRawBufferPointer, readFile: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        guard !finished, let outBase = output.baseAddress, let inBase = input.baseAddress else { return 0 }
        stream.pointee.next_out = outBase.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !inputEnded {
                let count = try readFile(input)
                if count == 0 {
                    inputEnded = true
                } else {
                    stream.pointee.next_in = inBase.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = uInt(count)
                }
            }
            if stream.pointee.avail_in == 0 && inputEnded {
                if betweenMembers {
                    finished = true
                    break
                }
                throw EventDataError.unreadable(
                    path: path,
                    reason: "the gzip data ends early, after \(compressedOffset) compressed bytes: the file is "
                        + "truncated (an interrupted download or copy?); copy or compress it again")
            }
            if betweenMembers {
                // More bytes after a complete member: the next member of a concatenated file.
                inflateReset(stream)
                betweenMembers = false
            }
            let before = stream.pointee.avail_in
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            compressedOffset += Int64(before - stream.pointee.avail_in)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                betweenMembers = true
            case Z_BUF_ERROR:
                // No progress without more input; the next turn reads more or reports the truncation.
                continue
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw EventDataError.unreadable(
                    path: path,
                    reason: "the gzip data is corrupt near compressed byte \(compressedOffset) (\(detail)); "
                        + "the file is damaged: compress or download it again")
            }
        }
        return output.count - Int(stream.pointee.avail_out)
    }
}

/// A growable window over a ``ByteSource``: parsers scan what is between `start` and `end`
/// and ask for more when a record runs past `end`.
///
/// A UTF-8 byte order mark at the very start of the data is skipped.
final class ByteWindow {
    let source: ByteSource
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// First unconsumed byte.
    var start = 0
    /// One past the last byte read.
    private(set) var end = 0
    /// No more bytes will come from the source.
    private(set) var atEnd = false
    /// The largest size a single record may reach before reading stops with an error.
    let maximumRecordBytes: Int
    private var checkedBOM = false

    /// Bytes read per call to the source, unless a reader asks for another size.
    static let defaultChunkSize = 1 << 20
    /// The longest record held in memory, unless a reader asks for another limit.
    static let defaultMaximumRecordBytes = 64 << 20

    /// - Parameters:
    ///   - chunkSize: bytes read per call to the source.
    ///   - maximumRecordBytes: the longest record (line, or quoted multi-line record) accepted.
    init(
        source: ByteSource, chunkSize: Int = defaultChunkSize, maximumRecordBytes: Int = defaultMaximumRecordBytes
    ) {
        self.source = source
        capacity = chunkSize
        base = .allocate(byteCount: chunkSize, alignment: 16)
        self.maximumRecordBytes = max(maximumRecordBytes, chunkSize)
    }

    deinit { base.deallocate() }

    /// Unconsumed bytes.
    var count: Int { end - start }

    /// `maximumRecordBytes` for messages: `64 MiB`, or a byte count below 1 MiB.
    var limitDescription: String {
        maximumRecordBytes >= 1 << 20 ? "\(maximumRecordBytes >> 20) MiB" : "\(maximumRecordBytes) bytes"
    }

    /// Keeps the unconsumed bytes, moves them to the front and reads more after them,
    /// growing the buffer when it is already full.
    ///
    /// - Returns: `false` when the source had nothing more (`atEnd` is then true).
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` on a read error, or when one
    ///   record would need more than `maximumRecordBytes`.
    func fill(recordStartLine: Int) throws -> Bool {
        if atEnd { return false }
        if start > 0 {
            if end > start { memmove(base, base + start, end - start) }
            end -= start
            start = 0
        }
        if end == capacity {
            guard capacity < maximumRecordBytes else {
                throw EventDataError.unreadable(
                    path: source.path,
                    reason: "line \(recordStartLine): the record is longer than \(limitDescription) without ending; "
                        + "in CSV a quoted field that is never closed (a stray \" character) does this")
            }
            let grown = UnsafeMutableRawPointer.allocate(
                byteCount: min(capacity * 2, maximumRecordBytes), alignment: 16)
            grown.copyMemory(from: UnsafeRawPointer(base), byteCount: end)
            base.deallocate()
            base = grown
            capacity = min(capacity * 2, maximumRecordBytes)
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end))
        end += count
        if !checkedBOM {
            checkedBOM = true
            if end >= 3 && base.load(as: UInt8.self) == 0xEF && base.load(fromByteOffset: 1, as: UInt8.self) == 0xBB
                && base.load(fromByteOffset: 2, as: UInt8.self) == 0xBF
            {
                start = 3
            }
        }
        if count == 0 { atEnd = true }
        return count > 0
    }
}
