//! Arithmetic modulo the Ed25519 group order `L`, reduced to the two operations the verifier
//! needs and written for code size: the check `s < L` and the reduction of the 512-bit hash
//! `SHA-512(R ‖ A ‖ M)` modulo `L`.
//!
//! salty's `Scalar::from_u512_le` reduces with Montgomery multiplications on 29-bit limbs
//! (`Scalar29::montgomery_mul` alone is 2,112 bytes on thumbv7em). The reduction here is
//! bit-serial on 32-bit limbs: the top 31 bytes (below `L` already) are the start value, and
//! the other 264 bits are fed in from the top, doubling the remainder and subtracting `L`
//! whenever it reaches `L`, so one comparison (shared with the `s < L` check) and one
//! subtraction are all the arithmetic. In the crypto-bench firmware it links 2,876 bytes less
//! than salty's and costs ~35,000 more instructions per verification (+3.4 %); TweetNaCl's
//! `modL` (signed 64-bit schoolbook) measured 464 bytes more than this, ~16,000 fewer
//! instructions.

/// The group order `L = 2^252 + 27742317777372353535851937790883648493` as little-endian
/// 32-bit limbs.
const GROUP_ORDER: [u32; 8] = [
    0x5cf5_d3ed,
    0x5812_631a,
    0xa2f7_9cd6,
    0x14de_f9de,
    0,
    0,
    0,
    0x1000_0000,
];

/// Whether the little-endian integer `scalar` is below the group order `L`.
pub(super) fn is_below_group_order(scalar: &[u8; 32]) -> bool {
    is_below(&limbs(scalar))
}

/// Little-endian bytes (at most 32) as little-endian 32-bit limbs.
fn limbs(bytes: &[u8]) -> [u32; 8] {
    let mut padded = [0; 32];
    padded[..bytes.len()].copy_from_slice(bytes);
    core::array::from_fn(|index| {
        u32::from_le_bytes([
            padded[4 * index],
            padded[4 * index + 1],
            padded[4 * index + 2],
            padded[4 * index + 3],
        ])
    })
}

/// The little-endian 512-bit integer `wide` modulo `L`, as 32 little-endian bytes.
pub(super) fn reduce_wide(wide: &[u8; 64]) -> [u8; 32] {
    // The top 31 bytes are below 2^248 < L already. Invariant: remainder < L < 2^253, so
    // twice it plus one still fits in 8 limbs.
    let mut remainder = limbs(&wide[33..]);
    for bit in (0..264).rev() {
        let mut carry = u32::from(wide[bit / 8] >> (bit % 8)) & 1;
        for limb in &mut remainder {
            let top = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = top;
        }
        if !is_below(&remainder) {
            let mut borrow = false;
            for (limb, order_limb) in remainder.iter_mut().zip(&GROUP_ORDER) {
                let (partial, first_borrow) = limb.overflowing_sub(*order_limb);
                let (difference, second_borrow) = partial.overflowing_sub(u32::from(borrow));
                *limb = difference;
                borrow = first_borrow | second_borrow;
            }
        }
    }
    let mut bytes = [0; 32];
    for (chunk, limb) in bytes.chunks_exact_mut(4).zip(remainder) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    bytes
}

/// Whether the integer with little-endian 32-bit limbs `value` is below `L`.
fn is_below(value: &[u32; 8]) -> bool {
    for (limb, order_limb) in value.iter().rev().zip(GROUP_ORDER.iter().rev()) {
        if limb != order_limb {
            return limb < order_limb;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use salty::Scalar;

    /// `L` as 32 little-endian bytes, from salty.
    fn group_order_bytes() -> [u8; 32] {
        Scalar::ell()
    }

    /// `multiple · L + addend` as 64 little-endian bytes (`multiple` little-endian, at most 33
    /// bytes; the product must stay below 2^512).
    fn multiple_of_group_order(multiple: &[u8], addend: u32) -> [u8; 64] {
        let order = group_order_bytes();
        let mut product = [0u32; 65];
        product[0] = addend;
        for (left_index, &left) in multiple.iter().enumerate() {
            for (right_index, &right) in order.iter().enumerate() {
                product[left_index + right_index] += u32::from(left) * u32::from(right);
            }
        }
        let mut bytes = [0; 64];
        let mut carry = 0u64;
        for (byte, &column) in bytes.iter_mut().zip(&product) {
            let value = carry + u64::from(column);
            *byte = value as u8;
            carry = value >> 8;
        }
        assert_eq!(
            carry + u64::from(product[64]),
            0,
            "product overflows 512 bits"
        );
        bytes
    }

    /// The reduction agrees with salty's `Scalar::from_u512_le`.
    fn check_reduction(wide: &[u8; 64]) {
        assert_eq!(
            reduce_wide(wide),
            *Scalar::from_u512_le(wide).as_bytes(),
            "{wide:02x?}"
        );
    }

    #[test]
    fn group_order_matches_salty() {
        let mut bytes = [0; 32];
        for (chunk, limb) in bytes.chunks_exact_mut(4).zip(GROUP_ORDER) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        assert_eq!(bytes, group_order_bytes());
    }

    #[test]
    fn reduction_of_edge_cases() {
        let order = group_order_bytes();
        let mut order_minus_one = order;
        order_minus_one[0] -= 1;
        let mut order_plus_one = order;
        order_plus_one[0] += 1;
        let widen = |narrow: &[u8; 32]| {
            let mut wide = [0; 64];
            wide[..32].copy_from_slice(narrow);
            check_reduction(&wide);
            wide
        };
        assert_eq!(reduce_wide(&widen(&[0; 32])), [0; 32]);
        assert_eq!(reduce_wide(&widen(&order_minus_one)), order_minus_one);
        assert_eq!(reduce_wide(&widen(&order)), [0; 32]);
        assert_eq!(
            reduce_wide(&widen(&order_plus_one))[..],
            [&[1][..], &[0; 31]].concat()
        );
        widen(&[0xff; 32]);
        check_reduction(&[0xff; 64]);
        let mut top_bit = [0; 64];
        top_bit[63] = 0x80;
        check_reduction(&top_bit);
        // Multiples of L, exactly, plus one and minus one: small ones, one with every limb
        // used, and the largest below 2^512, floor((2^512 − 1) / L) · L (a 260-bit multiple).
        let largest_multiple = [
            0x1b, 0x13, 0x2c, 0x0a, 0xa3, 0xe5, 0x9c, 0xed, 0xa7, 0x29, 0x63, 0x08, 0x5d, 0x21,
            0x06, 0x21, 0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0x0f,
        ];
        for multiple in [&[1][..], &[2], &[0xff; 32], &largest_multiple] {
            for addend in [0, 1] {
                let wide = multiple_of_group_order(multiple, addend);
                check_reduction(&wide);
                let expected = [&[addend as u8][..], &[0; 31]].concat();
                assert_eq!(reduce_wide(&wide)[..], expected);
            }
            let mut below = multiple_of_group_order(multiple, 0);
            let mut index = 0;
            while below[index] == 0 {
                below[index] = 0xff;
                index += 1;
            }
            below[index] -= 1;
            check_reduction(&below);
            assert_eq!(reduce_wide(&below), order_minus_one);
        }
    }

    #[test]
    fn below_group_order_edge_cases() {
        let order = group_order_bytes();
        let mut order_minus_one = order;
        order_minus_one[0] -= 1;
        let mut order_plus_one = order;
        order_plus_one[0] += 1;
        assert!(is_below_group_order(&[0; 32]));
        assert!(is_below_group_order(&order_minus_one));
        assert!(!is_below_group_order(&order));
        assert!(!is_below_group_order(&order_plus_one));
        assert!(!is_below_group_order(&[0xff; 32]));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn reduction_agrees_with_salty(high in any::<[u8; 32]>(), low in any::<[u8; 32]>()) {
            let mut wide = [0; 64];
            wide[..32].copy_from_slice(&low);
            wide[32..].copy_from_slice(&high);
            check_reduction(&wide);
        }

        #[test]
        fn reduction_of_multiples_agrees_with_salty(
            multiple in any::<[u8; 32]>(),
            addend in any::<u32>(),
        ) {
            check_reduction(&multiple_of_group_order(&multiple, addend));
        }

        #[test]
        fn below_group_order_agrees_with_salty(
            mut scalar in any::<[u8; 32]>(),
            top_byte in 0x0f..=0x11u8,
        ) {
            prop_assert_eq!(is_below_group_order(&scalar), Scalar(scalar).is_canonical());
            // Mostly near L: its top byte is 0x10.
            scalar[31] = top_byte;
            prop_assert_eq!(is_below_group_order(&scalar), Scalar(scalar).is_canonical());
        }
    }
}
