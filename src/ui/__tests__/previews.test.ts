/**
 * The registry of explain() thumbnails without a DOM: renderers are told of a real change only,
 * the registry stays bounded (the thumbnail set longest ago drops first), and the sizes fit the
 * long side to 160 CSS pixels without drawing more pixels than the picture has.
 */
import { IOutputPreview, OutputPreviews, previewSizes } from '../previews';

function preview(url: string, layer = 'relu2'): IOutputPreview {
  return {
    url,
    width: 160,
    height: 160,
    method: 'gradcam',
    layer,
    target: 3,
    label: 'three'
  };
}

/** The handles a registry's `changed` signal emits, in order. */
function changes(previews: OutputPreviews): string[] {
  const seen: string[] = [];
  previews.changed.connect((_, handle) => seen.push(handle));
  return seen;
}

describe('OutputPreviews', () => {
  it('holds the latest thumbnail per handle and tells of each change', () => {
    const previews = new OutputPreviews();
    const seen = changes(previews);
    expect(previews.get('a')).toBeNull();
    previews.add('a', preview('data:1'));
    previews.add('b', preview('data:2'));
    previews.add('a', preview('data:3'));
    expect(previews.get('a')?.url).toBe('data:3');
    expect(previews.get('b')?.url).toBe('data:2');
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('says nothing when the same thumbnail is set again', () => {
    const previews = new OutputPreviews();
    const seen = changes(previews);
    previews.add('a', preview('data:1'));
    previews.add('a', preview('data:1'));
    expect(seen).toEqual(['a']);
    // The same pixels at another layer are news (the alt text names the layer).
    previews.add('a', preview('data:1', 'relu1'));
    expect(seen).toEqual(['a', 'a']);
  });

  it('drops the thumbnail set longest ago beyond its limit, and tells its output', () => {
    const previews = new OutputPreviews({ limit: 2 });
    const seen = changes(previews);
    previews.add('a', preview('data:1'));
    previews.add('b', preview('data:2'));
    previews.add('a', preview('data:3')); // 'a' is now the newest
    previews.add('c', preview('data:4'));
    expect(previews.size).toBe(2);
    expect(previews.get('b')).toBeNull();
    expect(previews.get('a')?.url).toBe('data:3');
    expect(seen).toEqual(['a', 'b', 'a', 'b', 'c']);
  });

  it('forgets a handle, and everything once disposed', () => {
    const previews = new OutputPreviews();
    const seen = changes(previews);
    previews.add('a', preview('data:1'));
    previews.delete('a');
    previews.delete('a');
    expect(previews.get('a')).toBeNull();
    expect(seen).toEqual(['a', 'a']);
    previews.add('b', preview('data:2'));
    previews.dispose();
    expect(previews.isDisposed).toBe(true);
    previews.add('c', preview('data:3'));
    expect(previews.size).toBe(0);
    expect(seen).toEqual(['a', 'a', 'b']);
  });
});

describe('OutputPreviews.add', () => {
  it('answers a disposable that forgets its thumbnail unless a newer one replaced it', () => {
    const previews = new OutputPreviews();
    const first = previews.add('a', preview('data:1'));
    const second = previews.add('a', preview('data:2'));
    first.dispose();
    expect(previews.get('a')?.url).toBe('data:2');
    second.dispose();
    expect(second.isDisposed).toBe(true);
    expect(previews.get('a')).toBeNull();
  });
});

describe('previewSizes', () => {
  it('shows a 224x224 picture at 160 px, drawn at 160 px', () => {
    expect(previewSizes({ height: 224, width: 224 })).toEqual({
      drawn: { height: 160, width: 160 },
      shown: { height: 160, width: 160 }
    });
  });

  it('never draws a small picture larger than it is, but shows it at 160 px', () => {
    expect(previewSizes({ height: 16, width: 16 })).toEqual({
      drawn: { height: 16, width: 16 },
      shown: { height: 160, width: 160 }
    });
  });

  it('keeps the aspect ratio on the long side', () => {
    expect(previewSizes({ height: 240, width: 480 })).toEqual({
      drawn: { height: 80, width: 160 },
      shown: { height: 80, width: 160 }
    });
  });
});
