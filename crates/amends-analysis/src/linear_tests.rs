//! Tests of the linear heads: training, pruning, saving and loading.

use super::*;

fn example(features: &[u32], dense: &[f32], label: bool) -> Example {
    Example {
        features: features.to_vec(),
        value: 1.0 / (features.len() as f32).sqrt(),
        labels: vec![Some(label)],
        dense: dense.to_vec(),
    }
}

#[test]
fn the_row_index_numbers_the_buckets_with_rows_in_order() {
    // Buckets in every position of a block, full blocks, empty stretches.
    let mut shuffle = Shuffle(7);
    let mut with_rows: Vec<u32> = (0..1u32 << BUCKET_BITS)
        .filter(|b| b % 64 < 9 || (b / 64) % 97 == 0 || shuffle.next().is_multiple_of(5))
        .collect();
    with_rows.retain(|b| b / 64 % 13 != 5);
    let index = RowIndex::of(with_rows.iter().copied());
    let mut next = with_rows.iter().peekable();
    for bucket in 0..1u32 << BUCKET_BITS {
        let expected = next
            .next_if(|b| **b == bucket)
            .map(|_| with_rows.len() - next.len() - 1);
        assert_eq!(index.row(bucket), expected, "bucket {bucket}");
    }
    assert_eq!(index.row(1 << BUCKET_BITS), None);
    assert!(index.buckets().eq(with_rows.iter().copied()));
}

#[test]
fn the_shipped_model_reads_back_and_saves_to_the_same_bytes() {
    let bytes = include_bytes!("../model/en.bin");
    let model = LinearModel::from_bytes(bytes).expect("reads");
    assert!(matches!(model.rows, Rows::Bytes { .. }));
    assert_eq!(model.to_bytes(), bytes);
    // The rows kept as bytes add up to exactly what the same weights as floats give.
    let h = model.heads.len();
    let rows = model.index.buckets().count();
    let floats = LinearModel {
        rows: Rows::Exact(
            (0..rows * h)
                .map(|i| model.row_weight(i / h, i % h))
                .collect(),
        ),
        ..model.clone()
    };
    let mut shuffle = Shuffle(3);
    for n in [0, 1, 30, 500, 4000] {
        let mut features: Vec<u32> = (0..n)
            .map(|_| (shuffle.next() % (1 << BUCKET_BITS)) as u32)
            .collect();
        features.sort_unstable();
        features.dedup();
        let value = 1.0 / (features.len().max(1) as f32).sqrt();
        let (mut bytes, mut exact) = (Vec::new(), Vec::new());
        model.predict(&features, value, &mut bytes);
        floats.predict(&features, value, &mut exact);
        assert_eq!(bytes.len(), h);
        assert_eq!(bytes, exact, "{n} features");
    }
}

#[test]
fn entries_in_any_order_read_the_same_and_a_bucket_twice_is_an_error() {
    let file = |entries: &[(u32, i8)]| {
        let mut bytes = MAGIC_SPARSE_ONLY.to_vec();
        bytes.extend_from_slice(&BUCKET_BITS.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&[1, b'x']);
        bytes.extend_from_slice(&0f32.to_le_bytes());
        bytes.extend_from_slice(&0.5f32.to_le_bytes());
        bytes.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_le_bytes());
        for (bucket, weight) in entries {
            bytes.extend_from_slice(&bucket.to_le_bytes());
            bytes.push(weight.to_le_bytes()[0]);
        }
        bytes
    };
    let model = LinearModel::from_bytes(&file(&[(900, 4), (3, -2), (64, 127)])).expect("reads");
    assert_eq!(
        [3, 64, 900, 5].map(|b| model.weight(b, 0)),
        [-1.0, 63.5, 2.0, 0.0]
    );
    assert_eq!(model.weight(3, 1), 0.0);
    let twice = LinearModel::from_bytes(&file(&[(3, 1), (3, 2)]));
    assert!(twice.is_err());
    let out_of_range = LinearModel::from_bytes(&file(&[(1 << BUCKET_BITS, 1)]));
    assert!(out_of_range.is_err());
}

#[test]
fn lbfgs_finds_the_minimum_of_a_quadratic() {
    // (x0 - 3)^2 + 10 (x1 + 1)^2 + x0 x1, minimum where 2(x0-3) + x1 = 0, 20(x1+1) + x0 = 0.
    let f = |x: &[f64], g: &mut [f64]| {
        g[0] = 2.0 * (x[0] - 3.0) + x[1];
        g[1] = 20.0 * (x[1] + 1.0) + x[0];
        (x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2) + x[0] * x[1]
    };
    let x = lbfgs(vec![0.0, 0.0], f, 100);
    let (x0, x1) = (140.0 / 39.0, -1.0 - 140.0 / 39.0 / 20.0);
    assert!(
        (x[0] - x0).abs() < 1e-6 && (x[1] - x1).abs() < 1e-6,
        "{x:?}"
    );
}

#[test]
fn exact_training_learns_from_the_dense_vector_and_the_buckets() {
    // The label follows the dense vector's first number; bucket 7 is noise on both sides.
    let mut examples = Vec::new();
    for i in 0..40 {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        examples.push(example(&[7, 100 + i], &[sign * 0.5, 0.1], sign > 0.0));
    }
    let model = LinearModel::train_exact(vec!["complaint".into()], &examples, 1e-3, 200);
    assert_eq!(model.dense_dimensions(), 2);
    let mut out = Vec::new();
    model.predict_with(&[7], 1.0, &[0.5, 0.1], &mut out);
    assert!(out[0] > 0.9, "{out:?}");
    model.predict_with(&[7], 1.0, &[-0.5, 0.1], &mut out);
    assert!(out[0] < 0.1, "{out:?}");
    // Without the vector, only the bias and the buckets speak.
    model.predict(&[7], 1.0, &mut out);
    assert!((out[0] - 0.5).abs() < 0.2, "{out:?}");
    // Same inputs, same model.
    let again = LinearModel::train_exact(vec!["complaint".into()], &examples, 1e-3, 200);
    assert_eq!(model.to_bytes(), again.to_bytes());
}

#[test]
fn dense_weights_survive_saving_and_files_without_them_still_load() {
    let examples = [
        example(&[1, 2], &[1.0, -1.0, 0.5], true),
        example(&[3], &[-1.0, 1.0, 0.0], false),
    ];
    let model = LinearModel::train_exact(vec!["complaint".into()], &examples, 1e-2, 50);
    let read = LinearModel::from_bytes(&model.to_bytes()).expect("reads back");
    assert_eq!(read.dense, model.dense);
    assert_eq!(read.heads, model.heads);
    // A file in the first format (no dense part) is read as heads with no dense weights.
    let mut old = MAGIC_SPARSE_ONLY.to_vec();
    old.extend_from_slice(&BUCKET_BITS.to_le_bytes());
    old.extend_from_slice(&1u32.to_le_bytes());
    old.push(1);
    old.push(b'x');
    old.extend_from_slice(&0.25f32.to_le_bytes());
    old.extend_from_slice(&1.0f32.to_le_bytes());
    old.extend_from_slice(&1u32.to_le_bytes());
    old.extend_from_slice(&5u32.to_le_bytes());
    old.push(2);
    let old = LinearModel::from_bytes(&old).expect("reads the first format");
    assert_eq!(old.dense_dimensions(), 0);
    assert_eq!(old.weight(5, 0), 2.0);
    // A dense part longer than the file is an error, not an allocation.
    let mut bad = model.to_bytes();
    let at = MAGIC.len() + 8 + 1 + "complaint".len() + 8;
    bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(LinearModel::from_bytes(&bad).is_err());
}
