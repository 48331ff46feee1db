import fetch from 'node-fetch';
import { Request, Response } from 'express';

export async function preview(req: Request, res: Response): Promise<void> {
  const url = String(req.query.url);
  const page = await fetch(url);
  res.send(await page.text());
}
