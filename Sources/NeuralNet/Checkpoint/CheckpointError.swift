import Foundation

/// An error raised while reading, writing or applying a checkpoint.
///
/// Cases carry the path of the file involved when one is known; the path is `nil` when
/// the checkpoint was decoded from in-memory `Data`. `errorDescription` (and therefore
/// `localizedDescription`) says what is wrong and how to fix it, prefixed with the path.
public enum CheckpointError: Error, LocalizedError, Equatable, Sendable {
    /// Reading or writing `path` failed; `message` is the underlying system error.
    case io(path: String, message: String)
    /// The bytes are not a valid safetensors file; `reason` says exactly what is wrong.
    case malformed(path: String?, reason: Malformation)
    /// The tensor `name` is stored with an element type (`dtype`, such as `"C64"`) that
    /// cannot be converted to `Float`.
    case unsupportedDType(name: String, dtype: String, path: String?)
    /// The model needs a tensor called `name` that the checkpoint does not contain.
    case missingTensor(name: String, file: String?)
    /// The tensor `name` exists, but its shape differs from that of the parameter it fills.
    case shapeMismatch(name: String, expected: [Int], found: [Int], file: String?)
    /// The checkpoint contains a tensor `name` that the model has no parameter for.
    case unexpectedTensor(name: String, file: String?)
    /// The weights' SHA-256, recorded in the file when it was saved, does not match its data:
    /// the file was damaged or edited since.
    case checksumMismatch(file: String?)
    /// The tensor `name` holds a NaN or an infinity, which no usable model has.
    case nonFiniteValue(name: String, file: String?)
    /// The configuration file at `path` is not valid JSON for the configuration type, or the
    /// configuration cannot be written as JSON; `detail` says where, why and how to fix it.
    case invalidConfig(path: String, detail: String)

    /// A specific defect in a safetensors file, or in an archive about to be written.
    public enum Malformation: Sendable, Equatable, CustomStringConvertible {
        /// The file has fewer than the 8 bytes of the header length prefix.
        case fileTooShort(byteCount: Int)
        /// The length prefix announces more header bytes than follow it.
        case headerLengthExceedsFile(headerLength: UInt64, availableBytes: Int)
        /// The header is not valid UTF-8 JSON; `detail` locates the problem.
        case invalidHeaderJSON(detail: String)
        /// The header is valid JSON, but `found` (for example "an array") instead of an object.
        case headerNotObject(found: String)
        /// A JSON object in the header repeats `key`.
        case duplicateKey(String)
        /// `__metadata__` is not an object of string values.
        case invalidMetadata(detail: String)
        /// The header value for `tensor` is `found` instead of an object.
        case entryNotObject(tensor: String, found: String)
        /// The entry for `tensor` lacks `field` (`dtype`, `shape` or `data_offsets`).
        case missingField(tensor: String, field: String)
        /// The entry for `tensor` has a `field` of the wrong JSON type or form.
        case invalidField(tensor: String, field: String, detail: String)
        /// Dimension `index` of `tensor`'s shape is `value`, which is not a non-negative
        /// integer that fits in `Int`.
        case invalidDimension(tensor: String, index: Int, value: String)
        /// The byte size of `tensor` with this shape does not fit in `Int`.
        case elementCountOverflow(tensor: String, shape: [Int])
        /// `tensor`'s data offsets have `begin` after `end`.
        case offsetsReversed(tensor: String, begin: UInt64, end: UInt64)
        /// `tensor`'s data ends past the end of the data section.
        case offsetsOutOfRange(tensor: String, begin: UInt64, end: UInt64, dataByteCount: Int)
        /// `tensor`'s byte range does not hold exactly `product(shape) * size(dtype)` bytes.
        case byteCountMismatch(tensor: String, dtype: String, shape: [Int], expected: Int, actual: UInt64)
        /// The byte ranges of `tensor` and `other` overlap.
        case overlappingData(tensor: String, other: String)
        /// Bytes `expectedOffset..<actualOffset` of the data section, just before `tensor`,
        /// belong to no tensor.
        case gapInData(tensor: String, expectedOffset: Int, actualOffset: Int)
        /// The last `count` bytes of the data section belong to no tensor.
        case unreferencedTrailingBytes(count: Int)
        /// (Encoding) `tensor` has `valueCount` values, not the product of `shape`.
        case valueCountMismatch(tensor: String, shape: [Int], valueCount: Int)
        /// (Encoding) A tensor is named `__metadata__`, which the format reserves.
        case reservedName(String)
        /// Any other defect, described in words.
        case other(String)

        /// What is wrong and how to fix it, without the file path.
        public var description: String {
            let corrupt = "the file is corrupt or was not written by a conforming safetensors writer"
            switch self {
            case .fileTooShort(let byteCount):
                return "the file has only \(byteCount) bytes, fewer than the 8-byte header length prefix; "
                    + "the file is truncated or not a safetensors file"
            case .headerLengthExceedsFile(let headerLength, let availableBytes):
                return
                    "header says \(headerLength) bytes but the file has only \(availableBytes) after the length prefix; "
                    + "the file is truncated or not a safetensors file"
            case .invalidHeaderJSON(let detail):
                return "the header is not valid JSON (\(detail)); the file is corrupt or not a safetensors file"
            case .headerNotObject(let found):
                return "the header is \(found), not a JSON object mapping tensor names to entries; "
                    + "the file is corrupt or not a safetensors file"
            case .duplicateKey(let key):
                return "the header lists the key \(checkpointErrorQuoted(key)) more than once; \(corrupt)"
            case .invalidMetadata(let detail):
                return "\"__metadata__\" must be an object whose values are all strings, but \(detail); "
                    + "re-save the file with string-only metadata"
            case .entryNotObject(let tensor, let found):
                return "the entry for tensor \(checkpointErrorQuoted(tensor)) is \(found), not an object with "
                    + "\"dtype\", \"shape\" and \"data_offsets\"; \(corrupt)"
            case .missingField(let tensor, let field):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) has no \(checkpointErrorQuoted(field)) field; every entry needs "
                    + "\"dtype\", \"shape\" and \"data_offsets\"; \(corrupt)"
            case .invalidField(let tensor, let field, let detail):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) has an invalid \(checkpointErrorQuoted(field)): \(detail); \(corrupt)"
            case .invalidDimension(let tensor, let index, let value):
                return
                    "dimension \(index) of tensor \(checkpointErrorQuoted(tensor)) is \(value), but dimensions must be "
                    + "non-negative integers; fix the shape (or the header, if this came from a file)"
            case .elementCountOverflow(let tensor, let shape):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) has shape \(shape), whose size in bytes overflows; \(corrupt)"
            case .offsetsReversed(let tensor, let begin, let end):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) has data_offsets [\(begin), \(end)], which begin after they end; \(corrupt)"
            case .offsetsOutOfRange(let tensor, let begin, let end, let dataByteCount):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) has data_offsets [\(begin), \(end)] but the data section has only "
                    + "\(dataByteCount) bytes; the file is truncated or corrupt"
            case .byteCountMismatch(let tensor, let dtype, let shape, let expected, let actual):
                return
                    "tensor \(checkpointErrorQuoted(tensor)) is \(dtype) with shape \(shape), which needs \(expected) bytes, "
                    + "but its data_offsets span \(actual) bytes; \(corrupt)"
            case .overlappingData(let tensor, let other):
                return
                    "the data of tensors \(checkpointErrorQuoted(other)) and \(checkpointErrorQuoted(tensor)) overlap; \(corrupt)"
            case .gapInData(let tensor, let expectedOffset, let actualOffset):
                return
                    "data bytes \(expectedOffset)..<\(actualOffset), just before tensor \(checkpointErrorQuoted(tensor)), "
                    + "belong to no tensor (tensor data must be contiguous); \(corrupt)"
            case .unreferencedTrailingBytes(let count):
                return "the last \(count) bytes of the data section belong to no tensor; \(corrupt)"
            case .valueCountMismatch(let tensor, let shape, let valueCount):
                return "tensor \(checkpointErrorQuoted(tensor)) has shape \(shape) but \(valueCount) values; "
                    + "make values.count equal the product of the shape (1 for shape [])"
            case .reservedName(let name):
                return
                    "\(checkpointErrorQuoted(name)) is reserved for file metadata and cannot name a tensor; rename the tensor"
            case .other(let detail):
                return detail
            }
        }
    }

    /// What is wrong, where, and how to fix it.
    public var errorDescription: String? {
        switch self {
        case .io(let path, let message):
            return "\(path): \(message); check that the path exists and that you may read or write it"
        case .malformed(let path, let reason):
            return "\(checkpointErrorLocation(path)): \(reason.description)"
        case .unsupportedDType(let name, let dtype, let path):
            return
                "\(checkpointErrorLocation(path)): tensor \(checkpointErrorQuoted(name)) has dtype \(checkpointErrorQuoted(dtype)), which cannot be "
                + "converted to Float; supported dtypes are F32, F64, F16, BF16, I64, I32, I16, I8, "
                + "U64, U32, U16, U8 and BOOL; convert the tensor (for example with tensor.float()) and re-save"
        case .missingTensor(let name, let file):
            return
                "\(checkpointErrorLocation(file)): the checkpoint has no tensor named \(checkpointErrorQuoted(name)); check that it was "
                + "saved from the same model architecture and that parameter names match"
        case .shapeMismatch(let name, let expected, let found, let file):
            return
                "\(checkpointErrorLocation(file)): tensor \(checkpointErrorQuoted(name)) has shape \(found) but the model expects "
                + "\(expected); the checkpoint was saved from a model with a different configuration"
        case .unexpectedTensor(let name, let file):
            return
                "\(checkpointErrorLocation(file)): the checkpoint has a tensor \(checkpointErrorQuoted(name)) that the model has no "
                + "parameter for; it was saved from a different architecture (or load non-strictly to ignore it)"
        case .checksumMismatch(let file):
            return
                "\(checkpointErrorLocation(file)): the weights do not match the SHA-256 recorded when they were saved; "
                + "the file was damaged or changed since: copy the model directory again or retrain"
        case .nonFiniteValue(let name, let file):
            return
                "\(checkpointErrorLocation(file)): tensor \(checkpointErrorQuoted(name)) holds NaN or infinite values; "
                + "the model is unusable: retrain it"
        case .invalidConfig(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}

/// The prefix of an error message: the file path, or a stand-in for in-memory data.
private func checkpointErrorLocation(_ path: String?) -> String {
    path ?? "safetensors data"
}

/// `text` in double quotes, for naming tensors and keys in messages.
private func checkpointErrorQuoted(_ text: String) -> String {
    "\"\(text)\""
}
