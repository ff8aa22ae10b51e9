import { describe, expect, it } from 'vitest';
import { miniStackApiUrl } from '../../local/ministack.js';

describe('miniStackApiUrl', () => {
  it("maps the ApiUrl output to the API's $default stage on the MiniStack port", () => {
    // Act
    const url = miniStackApiUrl(
      'http://127.0.0.1:4566',
      'https://ab12cd34.execute-api.us-east-1.amazonaws.com/',
    );

    // Assess
    expect(url).toBe('http://127.0.0.1:4566/_aws/execute-api/ab12cd34/$default/');
  });

  it('refuses a URL that is not an API Gateway URL', () => {
    // Act
    const mapping = () => miniStackApiUrl('http://127.0.0.1:4566', 'https://example.com/');

    // Assess
    expect(mapping).toThrow('Not an API Gateway URL: https://example.com/');
  });
});
