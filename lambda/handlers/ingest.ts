// Placeholder while the handler is written; replaced in the next commit.
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 501 });
