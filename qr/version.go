package qr

import "civmap"

// dataCodewords is the number of data codewords of each version (row 0 = version 1) at levels
// L, M, Q and H: ISO/IEC 18004:2015 Table 7 (total codewords minus error-correction codewords).
// TestDataCodewordsMatchZXing checks it against the independent table of gozxing.
var dataCodewords = [40][4]int{
	{19, 16, 13, 9},          // 1
	{34, 28, 22, 16},         // 2
	{55, 44, 34, 26},         // 3
	{80, 64, 48, 36},         // 4
	{108, 86, 62, 46},        // 5
	{136, 108, 76, 60},       // 6
	{156, 124, 88, 66},       // 7
	{194, 154, 110, 86},      // 8
	{232, 182, 132, 100},     // 9
	{274, 216, 154, 122},     // 10
	{324, 254, 180, 140},     // 11
	{370, 290, 206, 158},     // 12
	{428, 334, 244, 180},     // 13
	{461, 365, 261, 197},     // 14
	{523, 415, 295, 223},     // 15
	{589, 453, 325, 253},     // 16
	{647, 507, 367, 283},     // 17
	{721, 563, 397, 313},     // 18
	{795, 627, 445, 341},     // 19
	{861, 669, 485, 385},     // 20
	{932, 714, 512, 406},     // 21
	{1006, 782, 568, 442},    // 22
	{1094, 860, 614, 464},    // 23
	{1174, 914, 664, 514},    // 24
	{1276, 1000, 718, 538},   // 25
	{1370, 1062, 754, 596},   // 26
	{1468, 1128, 808, 628},   // 27
	{1531, 1193, 871, 661},   // 28
	{1631, 1267, 911, 701},   // 29
	{1735, 1373, 985, 745},   // 30
	{1843, 1455, 1033, 793},  // 31
	{1955, 1541, 1115, 845},  // 32
	{2071, 1631, 1171, 901},  // 33
	{2191, 1725, 1231, 961},  // 34
	{2306, 1812, 1286, 986},  // 35
	{2434, 1914, 1354, 1054}, // 36
	{2566, 1992, 1426, 1096}, // 37
	{2702, 2102, 1502, 1142}, // 38
	{2812, 2216, 1582, 1222}, // 39
	{2956, 2334, 1666, 1276}, // 40
}

// byteCountBits is the width of the byte-mode character count indicator for a version:
// 8 bits for versions 1–9, 16 bits for 10–40 (ISO/IEC 18004:2015 Table 3).
func byteCountBits(version int) int {
	if version <= 9 {
		return 8
	}
	return 16
}

// ByteCapacity is how many bytes one byte-mode segment holds in a symbol of version (1–40) at
// level: ⌊(8·data codewords − 4-bit mode indicator − count indicator) / 8⌋. It is 0 for a version
// outside 1–40. Examples: version 1-L holds 17 bytes, 40-H holds 1273 (MaxPayload).
func ByteCapacity(version int, level Level) int {
	if version < 1 || version > 40 || level < L || level > H {
		return 0
	}
	bits := 8*dataCodewords[version-1][level] - 4 - byteCountBits(version)
	return bits / 8
}

// MinVersion is the smallest version (1–40) whose byte-mode capacity at level holds n bytes.
// It returns an ETOOLARGE error naming field "payload" when no version does.
func MinVersion(n int, level Level) (int, error) {
	for v := 1; v <= 40; v++ {
		if ByteCapacity(v, level) >= n {
			return v, nil
		}
	}
	return 0, &civmap.Error{Code: civmap.ETOOLARGE, Field: "payload",
		Message: "payload is too long for a QR code at level " + level.String()}
}
