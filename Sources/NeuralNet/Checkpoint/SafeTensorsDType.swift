/// The element types that can be decoded, named as in safetensors headers.
enum SafeTensorsDType: String {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Converts `count` elements of this type, stored little-endian in `region` (which
    /// holds exactly that many, at any alignment), to `Float`.
    func floats(count: Int, from region: UnsafeRawBufferPointer) -> [Float] {
        switch self {
        case .f32:
            #if _endian(little)
                return [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
                    if count > 0 {
                        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: region)
                    }
                    initializedCount = count
                }
            #else
                return convertElements(region, count: count, as: UInt32.self) { Float(bitPattern: $0) }
            #endif
        case .f64:
            return convertElements(region, count: count, as: UInt64.self) { Float(Double(bitPattern: $0)) }
        case .f16:
            return convertElements(region, count: count, as: UInt16.self, floatFromHalfBits)
        case .bf16:
            return convertElements(region, count: count, as: UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .i64:
            return convertElements(region, count: count, as: Int64.self) { Float($0) }
        case .i32:
            return convertElements(region, count: count, as: Int32.self) { Float($0) }
        case .i16:
            return convertElements(region, count: count, as: Int16.self) { Float($0) }
        case .i8:
            return convertElements(region, count: count, as: Int8.self) { Float($0) }
        case .u64:
            return convertElements(region, count: count, as: UInt64.self) { Float($0) }
        case .u32:
            return convertElements(region, count: count, as: UInt32.self) { Float($0) }
        case .u16:
            return convertElements(region, count: count, as: UInt16.self) { Float($0) }
        case .u8:
            return convertElements(region, count: count, as: UInt8.self) { Float($0) }
        case .bool:
            // Like PyTorch and NumPy, any non-zero byte is true.
            return convertElements(region, count: count, as: UInt8.self) { $0 == 0 ? 0 : 1 }
        }
    }
}

/// Reads `count` little-endian `Element`s from `region` (which holds at least that many,
/// at any alignment) and converts each with `transform`.
@inline(__always)
private func convertElements<Element: FixedWidthInteger>(
    _ region: UnsafeRawBufferPointer, count: Int, as _: Element.Type, _ transform: (Element) -> Float
) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
        let stride = MemoryLayout<Element>.size
        for index in 0..<count {
            let raw = region.loadUnaligned(fromByteOffset: index * stride, as: Element.self)
            buffer[index] = transform(Element(littleEndian: raw))
        }
        initializedCount = count
    }
}

/// Converts the bits of an IEEE 754 half-precision number to `Float`, exactly (including
/// subnormals, infinities and NaN payloads). Portable where `Float16` is unavailable.
private func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
