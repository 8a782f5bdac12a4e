import { parseLabels } from '../labelsFile';

describe('parseLabels', () => {
  it('reads one name per line from a .txt file, trailing blank lines dropped', () => {
    expect(parseLabels('cat\r\n dog \nbird\n\n', 'labels.txt')).toEqual([
      'cat',
      'dog',
      'bird'
    ]);
  });

  it('reads a JSON list, or the "labels" or "classes" list of an object', () => {
    expect(parseLabels('["a", "b"]', 'l.json')).toEqual(['a', 'b']);
    expect(parseLabels('{"labels": ["x"]}', 'l.json')).toEqual(['x']);
    expect(
      parseLabels('{"classes": ["ring", "disc"], "mean": [0.5]}', 'shapes.json')
    ).toEqual(['ring', 'disc']);
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseLabels('{"mean": [1]}', 'm.json')).toThrow(
      'm.json holds no list of class names: expected ["cat", "dog", ...] or {"labels": [...]} or {"classes": [...]}'
    );
    expect(() => parseLabels('[1, 2]', 'n.json')).toThrow(
      'n.json holds no list of class names'
    );
    expect(() => parseLabels('{oops', 'bad.json')).toThrow(
      /^bad.json is not valid JSON \(.*\): give a list of class names/
    );
    expect(() => parseLabels('\n\n', 'empty.txt')).toThrow(
      'empty.txt is empty: give one class name per line'
    );
  });
});
