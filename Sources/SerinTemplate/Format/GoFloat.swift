import Foundation

/// Go's `strconv.FormatFloat` for the `e`, `E`, `f`, `g`, `G` formats:
/// shortest digits when the precision is -1 (Swift's shortest
/// round-trip digits, the same digits Go finds), glibc's exact rounding
/// otherwise.
public enum GoFloat {
    /// Decimal digits (no leading zeros, no trailing zeros unless the
    /// number is zero) and the position of the decimal point: value =
    /// 0.digits × 10^point.
    struct Digits {
        var digits: [UInt8]
        var point: Int
    }

    public static func format(_ value: Double, _ format: Character, precision: Int, bits: Int = 64) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let negative = value.sign == .minus
        let magnitude = abs(value)
        var body: String
        switch format {
        case "e", "E":
            let digits = precision < 0 ? shortest(magnitude, bits: bits) : rounded(magnitude, significant: precision + 1)
            body = exponential(digits, precision: precision < 0 ? max(digits.digits.count - 1, 0) : precision, upper: format == "E")
        case "f", "F":
            if precision < 0 {
                let digits = shortest(magnitude, bits: bits)
                body = fixed(digits, precision: max(digits.digits.count - digits.point, 0))
            } else {
                body = String(format: "%.\(precision)f", magnitude)
            }
        case "g", "G":
            var digits: Digits
            var eprec = precision
            if precision < 0 {
                digits = shortest(magnitude, bits: bits)
                eprec = 6
            } else {
                digits = rounded(magnitude, significant: max(precision, 1))
                if eprec == 0 { eprec = 1 }
                if eprec > digits.digits.count && digits.digits.count >= digits.point { eprec = digits.digits.count }
            }
            let exponent = digits.point - 1
            if magnitude == 0 {
                body = "0"
            } else if exponent < -4 || exponent >= eprec {
                body = exponential(digits, precision: max(digits.digits.count - 1, 0), upper: format == "G")
            } else {
                body = fixed(digits, precision: max(digits.digits.count - digits.point, 0))
            }
        default:
            body = String(magnitude)
        }
        return negative ? "-" + body : body
    }

    /// The shortest digits that read back as the same value.
    static func shortest(_ value: Double, bits: Int) -> Digits {
        if value == 0 { return Digits(digits: [0x30], point: 1) }
        let text = bits == 32 ? Float(value).description : value.description
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits: [UInt8] = []
        var point = 0
        var seenPoint = false
        for byte in mantissa.utf8 {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
                continue
            }
            digits.append(byte)
            if !seenPoint { point += 1 }
        }
        // Strip leading zeros (moving the point) and trailing zeros.
        while digits.count > 1, digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return Digits(digits: digits, point: point + exponent)
    }

    /// The value rounded to `significant` digits, trailing zeros removed.
    static func rounded(_ value: Double, significant: Int) -> Digits {
        if value == 0 { return Digits(digits: [0x30], point: 1) }
        let text = String(format: "%.\(max(significant - 1, 0))e", value)
        guard let e = text.firstIndex(of: "e") else { return Digits(digits: [0x30], point: 1) }
        let exponent = Int(text[text.index(after: e)...]) ?? 0
        var digits = Array(text[..<e].utf8.filter { $0 != UInt8(ascii: ".") })
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return Digits(digits: digits, point: exponent + 1)
    }

    static func exponential(_ digits: Digits, precision: Int, upper: Bool) -> String {
        var out = [UInt8]()
        out.append(digits.digits.first ?? 0x30)
        if precision > 0 {
            out.append(UInt8(ascii: "."))
            for index in 1...precision {
                out.append(index < digits.digits.count ? digits.digits[index] : 0x30)
            }
        }
        out.append(upper ? UInt8(ascii: "E") : UInt8(ascii: "e"))
        var exponent = digits.digits == [0x30] ? 0 : digits.point - 1
        if exponent < 0 {
            out.append(UInt8(ascii: "-"))
            exponent = -exponent
        } else {
            out.append(UInt8(ascii: "+"))
        }
        if exponent < 10 { out.append(0x30) }
        out.append(contentsOf: Array(String(exponent).utf8))
        return String(decoding: out, as: UTF8.self)
    }

    static func fixed(_ digits: Digits, precision: Int) -> String {
        var out = [UInt8]()
        if digits.point <= 0 {
            out.append(0x30)
        } else {
            for index in 0..<digits.point {
                out.append(index < digits.digits.count ? digits.digits[index] : 0x30)
            }
        }
        if precision > 0 {
            out.append(UInt8(ascii: "."))
            for offset in 0..<precision {
                let index = digits.point + offset
                out.append(index >= 0 && index < digits.digits.count ? digits.digits[index] : 0x30)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
